"""Site clutter: the text a web page puts around an article, recognised by general rules.

Nothing here lists the lines of a particular article. The rules:

* **UI vocabulary** — a short line whose every word belongs to the vocabulary of page widgets
  ("Upvote Downvote", "Share Tweet Pin", "Menu", "logo", a stray "in" left by a LinkedIn icon);
* **vote and reaction counts** — "-1 Points", "+12 votes", "3 likes";
* **comment counts** — "4 Comments", "Comments (12)", "No Comments", "One Response";
* **comment-form text** — "Leave a Reply", "Your email address will not be published",
  "Required fields are marked *", "Save my name, email, and website …", "Post Comment";
* **share and follow prompts** — "Share this:", "Share on Facebook", "Click to share …",
  "Follow us on …", "Subscribe to our newsletter";
* **lines without words** — separators, bullets, icons, page numbers;
* **see-also links** — a line that only points to another story: "Read more: TITLE",
  "Lea también: TITLE", "À lire aussi » TITLE", "Lesen Sie auch: TITLE", "Czytaj też: TITLE"
  (prompts in English, Spanish, Portuguese, French, German, Italian and Polish; a prompt that
  is also a name — "Lea", "Mira" — only before a short title without a closing full stop, so
  that "Lea: I think so." in an interview stays);
* **newsletter prompts** — a line of at most 40 words that names a newsletter and asks to
  sign up ("Sign up for our newsletter", "Zum Newsletter anmelden", "Abonnez-vous …");
* **subscription and follow prompts** — at most 40 words: a paywall's ("Subscribe now to our
  e-edition for the full story", "already a subscriber"), an app's ("download our apps for iOS
  and Android"), a line that starts "Follow …" / "Síguenos …" / "Folgen Sie uns …" and names a
  social network;
* **change stamps** — "Aktualisiert am 17.01.2021", "Last modified: 3 May 2004";
* **reading times** — "5 min read", "Lesezeit: 3 Minuten", "Ten tekst przeczytasz w mniej niż
  minutę";
* **advertisement labels** — a short line (at most 20 words) opening with "Anzeige –",
  "Werbung.", "Advertisement:", "Publicidad:" ….

:func:`credit_line` recognises a line that is only a picture credit ("Foto: NAME",
"(Credit: NAME / AGENCY)", "© NAME", "Quelle: NAME"): the assembler gives it to the figure
just before it, or leaves it out of the text.

``related_list_start`` recognises the heading of a list of links to other stories ("Related
posts:", "You may also like"), ``author_link`` the last line of an author box ("View all posts",
"More from NAME", "Follow NAME on X").

``section_end`` recognises where a comments or related-posts section starts, so that what
follows it (commenters' text) does not reach the record either.
"""

from __future__ import annotations

import itertools
import re

UI_WORDS = frozenset(
    """upvote upvotes downvote downvotes vote votes voting like likes liked dislike unlike
    share shares shared sharing tweet retweet pin pinit email e-mail print reply replies comment
    comments follow following followers subscribe unsubscribe logo menu search login logout
    signin signup register home next previous prev back top more advertisement advertisements
    sponsored ad ads promoted related popular trending tags tag categories category archives
    facebook twitter x pinterest whatsapp reddit linkedin instagram telegram tumblr youtube
    tiktok flipboard messenger copy link cancel submit post posts close skip content cookies
    accept decline points point reactions reaction views view save saved bookmark loading
    toggle navigation nav sidebar widget newsletter rss feed sign log up in out icon button
    click tap read continue reading load show hide expand collapse""".split()  # noqa: SIM905
)
_GLUE = frozenset({"to", "on", "the", "a", "this", "via", "and", "or", "with", "us", "of", "&"})

_PATTERNS = [
    (
        "vote count",
        r"[-+−]?\d[\d,.]*\s*(?:points?|votes?|likes?|upvotes?|downvotes?|reactions?"
        r"|shares?|views?|pins?|loves?|claps?)",
    ),
    (
        "comment count",
        r"(?:\d+|no|one|zero)\s+(?:comments?|responses?|replies|thoughts?)"
        r"(?:\s+(?:on|to)\b.*)?",
    ),
    ("comment count", r"comments?\s*[(\[]?\s*\d+\s*[)\]]?"),
    (
        "comment form",
        r"leave\s+a\s+(?:reply|comment|response)(?:\s+to\s+.*)?|cancel\s+reply"
        r"|post\s+(?:a\s+)?comment|add\s+(?:a\s+)?comment|write\s+a\s+comment|join\s+the\s+discussion",
    ),
    ("comment form", r"your\s+email\s+address\s+will\s+not\s+be\s+published.*"),
    ("comment form", r"required\s+fields\s+are\s+marked.*|(?:name|email|website|comment)\s*\*"),
    (
        "comment form",
        r"save\s+my\s+name,?\s+email,?\s+and\s+website.*"
        r"|notify\s+me\s+of\s+(?:follow-?up|new)\s+(?:comments|posts).*"
        r"|you\s+must\s+be\s+logged\s+in\s+to\s+post\s+a\s+comment.*"
        r"|this\s+site\s+uses\s+akismet.*",
    ),
    (
        "share prompt",
        r"(?:share|like|pin)\s+(?:this|it)(?:\s+(?:article|post|story|page|photo"
        r"|gallery|on\s+\w+))?\s*[:!?]?|share\s+on\s+\w+.*|click\s+to\s+(?:share|print|email).*"
        r"|spread\s+the\s+word.*|(?:follow|find|like|join)\s+us\s+on\b.*|share\s*:",
    ),
    (
        "share prompt",
        r"subscribe\s+to\s+(?:our|the)\s+newsletter.*|sign\s+up\s+for\s+our\s+\w+.*"
        r"|like\s+loading\.*|loading\.\.\.",
    ),
    (
        "page furniture",
        r"posted\s+in\s+.{1,60}|filed\s+under\s+.{1,60}|tags?\s*:.*"
        r"|(?:categor(?:y|ies)|kategorien?|catégories?|categorías?)\s*:.*|(?:previous|next)\s+(?:post|article|story|page)\b.*"
        r"|(?:you\s+(?:may|might)\s+also\s+like|related\s+(?:posts|articles|stories)|read\s+more"
        r"|more\s+from\s+.{1,40}|recommended\s+for\s+you|advertisement|sponsored\s+content)\s*:?"
        r"|skip\s+to\s+(?:main\s+)?content|all\s+rights\s+reserved.*|©\s*\d{4}\b.{0,60}",
    ),
]
_COMPILED = [(reason, re.compile(rf"^(?:{p})$", re.IGNORECASE)) for reason, p in _PATTERNS]

# "Read more: TITLE" — a link to another story standing in the text
_SEE_ALSO = (
    r"read\s+(?:more|also|next)|see\s+also|also\s+read|more\s+on\s+this|related"
    r"|lea\s+(?:también|tambien|más|mas|además)|vea\s+(?:también|tambien|más)"
    r"|le\s+puede\s+interesar|te\s+puede\s+interesar|puedes?\s+ver|lee\s+(?:también|más)"
    r"|leia\s+(?:também|mais)|veja\s+(?:também|mais)|à\s+lire\s+(?:aussi|également)"
    r"|lire\s+aussi|voir\s+aussi|lesen\s+sie\s+(?:auch|hier|mehr)|auch\s+lesen|weiterlesen"
    r"|mehr\s+zum\s+thema|leggi\s+anche|czytaj\s+(?:też|także|również|więcej)"
    r"|zobacz\s+(?:też|także|również)|dowiedz\s+się\s+więcej"
)
_SEE_ALSO_LINE = re.compile(
    rf"^(?:{_SEE_ALSO})\s*(?:[:»›>→|]\s*.{{0,250}}|[.…]*)$", re.IGNORECASE | re.DOTALL
)
# prompts that are also names: only before a short title without a closing full stop
_SEE_ALSO_NAME = re.compile(r"^(?:lea|mira|mire|vea)\s*:\s*(?P<t>.+)$", re.IGNORECASE)
_SEE_ALSO_TITLE_WORDS = 25
# "Subscribe now for the full story", "Follow us on Facebook and Instagram", "Download our app"
_PROMPT_WORDS = 40
_PAYWALL = re.compile(
    r"subscribe\b.{0,80}\b(?:full\s+(?:story|article)|continue\s+reading|read\s+the\s+rest)"
    r"|\b(?:full\s+(?:story|article)|continue\s+reading).{0,80}\bsubscribe\b"
    r"|already\s+a\s+subscriber|subscribe\s+now\b",
    re.IGNORECASE,
)
#: every branch of ``_PAYWALL`` names "subscribe" (case as the pattern ignores it): a line
#: without it is not searched by ``_PAYWALL`` (~1 µs against ~7 µs a line of prose)
_SUBSCRIBE = re.compile("subscribe", re.IGNORECASE)
_FOLLOW = re.compile(
    r"^(?:follow|síguenos|siguenos|seguinos|folgen\s+sie\s+uns|folge\s+uns|suivez[- ]nous"
    r"|obserwuj|seguici)\b.{0,60}?\b(?:on|en|auf|sur|na|su)\s+(?:facebook|twitter|instagram"
    r"|telegram|whatsapp|youtube|tiktok|linkedin|pinterest|threads|mastodon|x)\b",
    re.IGNORECASE,
)
_APP = re.compile(
    r"\bdownload\b.{0,60}\bapps?\b.{0,40}\b(?:ios|android|iphone|app\s+store|google\s+play)",
    re.IGNORECASE,
)
# "5 min read", "Lesezeit: 3 Minuten", "Ten tekst przeczytasz w mniej niż minutę"
_READING_TIME = re.compile(
    r"^(?:\d+\s*(?:min(?:ute)?s?|minuten)\.?\s+(?:read|lesezeit|de\s+lecture|de\s+lectura)"
    r"|(?:lesezeit|reading\s+time|read\s+time|temps\s+de\s+lecture|tiempo\s+de\s+lectura"
    r"|czas\s+czytania)\s*:?\s*(?:ca\.\s*)?\d+\s*\w*\.?|ten\s+tekst\s+przeczytasz\b.{0,40})$",
    re.IGNORECASE,
)
# "ANZEIGE – …", "*Werbung. Dieser Beitrag enthält Werbung für X."
_AD_DISCLOSURE = re.compile(
    r"^\W{0,3}(?:anzeige|werbung|advertisement|sponsored|publicidad|publicité|reklama"
    r"|pubblicità)\s*[-–—:.|*]",
    re.IGNORECASE,
)
# "Aktualisiert am 17.01.2021", "Last modified: 3 May 2004": when the page was changed
_CHANGED = re.compile(
    r"^(?:(?:last\s+)?(?:updated|modified|changed)|last\s+update|aktualisiert|zuletzt"
    r"\s+(?:aktualisiert|geändert)|letzte\s+(?:änderung|aktualisierung)|mis\s+à\s+jour"
    r"|actualizado|aggiornato)\b(?:\s+(?:am|on|le|el|il))?\s*:?\s*[\d.,/:\s\w-]{0,40}$",
    re.IGNORECASE,
)
_NEWSLETTER = re.compile(r"news\s*-?letter", re.IGNORECASE)
_SIGN_UP = re.compile(
    r"sign(?:ing)?\s*-?up|subscri|abonn|anmeld|melde\s+dich|registr|inscri|suscr|eintragen",
    re.IGNORECASE,
)
_NEWSLETTER_WORDS = 40
_CREDIT_WORDS = 16

# Lines that open a trailing section that is not the article (comments, related posts).
_SECTION_END = re.compile(
    r"^(?:(?:\d+|no|one)\s+(?:comments?|responses?|replies|thoughts?)(?:\s+on\b.*)?"
    r"|comments?\s*[(\[]?\s*\d*\s*[)\]]?|leave\s+a\s+(?:reply|comment|response)(?:\s+to\s+.*)?"
    r"|(?:you\s+(?:may|might)\s+also\s+like|related\s+(?:posts|articles|stories)"
    r"|more\s+(?:stories|articles|posts)|recommended(?:\s+for\s+you)?|join\s+the\s+discussion"
    r"|what\s+do\s+you\s+think)\s*[:?]?)$",
    re.IGNORECASE,
)
_AUTHOR_BOX = re.compile(
    r"^(?:about\s+the\s+(?:author|writer)|author\s+bio(?:graphy)?)\s*:?$", re.I
)
_RELATED = re.compile(
    r"^(?:related(?:\s+(?:posts?|articles?|stories|reading|content|links))?|you\s+(?:may|might)"
    r"\s+also\s+(?:like|enjoy|be\s+interested\s+in)|read\s+(?:also|next)|also\s+read"
    r"|more\s+(?:stories|articles|posts|reading)|recommended(?:\s+(?:for\s+you|reading))?"
    r"|popular\s+(?:posts|articles|stories)|trending\s+now"
    # the same heading in other languages
    r"|lesen\s+sie\s+auch(?:\s+die\s+folgenden\s+beiträge)?|auch\s+interessant|schon\s+gelesen"
    r"|(?:das|dieses\s+thema)\s+könnte\s+(?:dich|sie)\s+auch\s+interessieren"
    r"|weitere\s+(?:artikel|beiträge|themen|meldungen|nachrichten)(?:\s+zum\s+thema)?"
    r"|mehr\s+(?:themen|zum\s+thema)|empfohlene\s+(?:beiträge|artikel)|das\s+könnte\s+dich"
    r"\s+auch\s+interessieren|(?:contenido|notas|noticias|artículos)\s+relacionad[oa]s?"
    r"|te\s+puede\s+interesar|le\s+puede\s+interesar|à\s+lire\s+aussi|sur\s+le\s+même\s+sujet"
    r"|articles\s+similaires|czytaj\s+(?:też|także)|zobacz\s+(?:też|także)|leggi\s+anche"
    r"|articoli\s+correlati|zum\s+weiterlesen|mehr\s+zum\s+thema(?:\s+auf\s+\S+)?"
    r"|vorschau\s+auf\s+den\s+nächsten\s+artikel|beiträge\s+aus\s+dem\s+forum)\s*[:?.…]*$",
    re.IGNORECASE,
)
_AUTHOR_LINK = re.compile(
    r"^(?:(?:view|see|read|browse)\s+(?:all\s+)?(?:(?:my|his|her|their)\s+)?(?:posts|articles"
    r"|stories|entries|profile)(?:\s+by\s+.{1,60})?|(?:more|all\s+(?:posts|articles|stories))"
    r"\s+(?:from|by)\s+.{1,60}|follow(?:\s+[\w@.'’-]+){0,4})\s*[:→»›>]*$",
    re.IGNORECASE,
)
_TRAILING_WIDGET = re.compile(
    r"\s*(?:[-+−]?\d+\s+(?:points?|votes?)\s*)?(?:\bupvote\s*\bdownvote\b|[-+−]?\d+\s+points?)\s*$",
    re.IGNORECASE,
)
#: what a line the widget rule cuts ends with, trailing white space aside ("…Downvote",
#: "…Points"): ``_TRAILING_WIDGET`` is searched for only in such a line (its search tries
#: every position of the line: ~16 µs a line of prose, the end's check ~0.3 µs)
_WIDGET_END = re.compile(r"(?:downvote|points?)$", re.IGNORECASE)
_WIDGET_END_CHARS = len("downvote")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_MAX_UI_WORDS = 6


def clutter_reason(line: str) -> str | None:
    """Why a (stripped) line is clutter, or None when it may be article text."""
    text = line.strip()
    if not text:
        return None
    if not any(ch.isalpha() for ch in text):
        return None if re.search(r"\d{4}", text) else "no words"
    for reason, pattern in _COMPILED:
        if pattern.match(text):
            return reason
    if see_also(text):
        return "see-also link"
    if _READING_TIME.match(text):
        return "reading time"
    if _AD_DISCLOSURE.match(text) and len(text.split()) <= _PROMPT_WORDS // 2:
        return "advertisement label"
    if _CHANGED.match(text) and re.search(r"\d", text):
        return "page furniture"
    if len(text.split()) <= _PROMPT_WORDS and (
        _paywall(text) or _APP.search(text) or _FOLLOW.match(text)
    ):
        return "subscription or follow prompt"
    if (
        len(text.split()) <= _NEWSLETTER_WORDS
        and _NEWSLETTER.search(text)
        and _SIGN_UP.search(text)
    ):
        return "newsletter prompt"
    # at most _MAX_UI_WORDS words: a line of more is read no further (nor its letters counted)
    first = list(itertools.islice(_WORD.finditer(text), _MAX_UI_WORDS + 1))
    if not first or len(first) > _MAX_UI_WORDS:
        return None
    words = [m.group().casefold().strip("'’-") for m in first]
    letters = sum(ch.isalpha() for ch in text)
    if letters >= len(text.replace(" ", "")) * 0.6:
        vocabulary = UI_WORDS | _GLUE
        if all(w in vocabulary for w in words) and (
            any(w in UI_WORDS for w in words) or len(words) == 1
        ):
            return "page widget words"
    return None


def _paywall(text: str) -> bool:
    """A paywall's prompt ("Subscribe now for the full story"): ``_PAYWALL`` searched for in a
    line that says "subscribe"."""
    return _SUBSCRIBE.search(text) is not None and _PAYWALL.search(text) is not None


def see_also(line: str) -> bool:
    """True for a line that only points to another story ("Read more: TITLE")."""
    text = line.strip()
    if _SEE_ALSO_LINE.match(text):
        return True
    named = _SEE_ALSO_NAME.match(text)
    if named is None:
        return False
    title = named.group("t").strip()
    return len(title.split()) <= _SEE_ALSO_TITLE_WORDS and not title.endswith((".", "!"))


def credit_line(line: str) -> bool:
    """True for a line that is only a picture credit ("Foto: NAME", "© AGENCY")."""
    from .captions import split_credit  # (captions imports the date and place readers)

    text = line.strip()
    if not text or len(text.split()) > _CREDIT_WORDS:
        return False
    rest, credit = split_credit(text)
    return credit is not None and not rest.strip(" .,;:|/()")


def strip_trailing_widget(line: str) -> str:
    """Remove a vote widget glued to the end of a line ("… 1956. -1 Points Upvote Downvote")."""
    if not _ends_like_widget(line):
        return line
    return _TRAILING_WIDGET.sub("", line) if _TRAILING_WIDGET.search(line) else line


def _ends_like_widget(line: str) -> bool:
    """Whether ``line`` ends as every match of ``_TRAILING_WIDGET`` does: "downvote", "point"
    or "points" before white space only (``str.rstrip`` strips what ``\\s`` matches; a letter
    the pattern's case-blind match takes is one character, so the last eight decide)."""
    return _WIDGET_END.search(line.rstrip()[-_WIDGET_END_CHARS:]) is not None


def section_end(line: str) -> bool:
    """True for a line that opens the comments or related-posts part of a page."""
    return bool(_SECTION_END.match(line.strip()))


def author_box_start(line: str) -> bool:
    return bool(_AUTHOR_BOX.match(line.strip()))


def related_list_start(line: str) -> bool:
    """True for the heading of a list of other stories ("Related posts:", "You may also like")."""
    return bool(_RELATED.match(line.strip()))


def author_link(line: str) -> bool:
    """True for the line an author box ends with ("View all posts", "More from NAME")."""
    return bool(_AUTHOR_LINK.match(line.strip()))
