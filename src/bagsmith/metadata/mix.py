"""NISO MIX 2.0 technical metadata for an image, from its Pillow characterisation."""

from __future__ import annotations

import re
from datetime import datetime
from fractions import Fraction
from typing import Any

from ..model import ImageInfo
from .xmlns import MIX, schema_location, sub

#: Pillow mode → MIX colorSpace (TIFF PhotometricInterpretation names).
COLOR_SPACES: dict[str, str] = {
    "1": "BlackIsZero",
    "L": "BlackIsZero",
    "LA": "BlackIsZero",
    "I": "BlackIsZero",
    "I;16": "BlackIsZero",
    "F": "BlackIsZero",
    "P": "PaletteColor",
    "PA": "PaletteColor",
    "RGB": "RGB",
    "RGBA": "RGB",
    "RGBX": "RGB",
    "CMYK": "CMYK",
    "YCbCr": "YCbCr",
    "LAB": "CIELab",
}


def _rational(parent: Any, name: str, value: float) -> None:
    frac = Fraction(value).limit_denominator(1000)
    el = sub(parent, MIX, name)
    sub(el, MIX, "numerator", str(frac.numerator))
    sub(el, MIX, "denominator", str(frac.denominator))


_DATETIME = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})?)?)?)?")


def _valid_date(value: str | None) -> str | None:
    """``value`` when MIX's date type (xsd:date, dateTime, gYear, gYearMonth) takes it."""
    if not value or not _DATETIME.fullmatch(value):
        return None
    try:
        if len(value) >= 10:
            datetime.fromisoformat(value[:10] + value[10:].replace("Z", "+00:00"))
        elif len(value) == 7 and not 1 <= int(value[5:]) <= 12:
            return None
    except ValueError:
        return None
    return value


def _dms(parent: Any, name: str, value: float) -> None:
    """``gpsGroup``: whole degrees, whole minutes, seconds as a rational (hundredths)."""
    value = abs(value)
    deg = int(value)
    minutes = int((value - deg) * 60)
    seconds = Fraction(round((value - deg - minutes / 60) * 3600 * 100), 100)
    el = sub(parent, MIX, name)
    for part, number in (("degrees", Fraction(deg)), ("minutes", Fraction(minutes))):
        rational = sub(el, MIX, part)
        sub(rational, MIX, "numerator", str(number.numerator))
        sub(rational, MIX, "denominator", str(number.denominator))
    rational = sub(el, MIX, "seconds")
    sub(rational, MIX, "numerator", str(seconds.numerator))
    sub(rational, MIX, "denominator", str(seconds.denominator))


def _position(latitude: str | None, longitude: str | None) -> tuple[float, float] | None:
    """Decimal degrees (as ingest records them) as numbers, None unless both are in range."""
    try:
        lat, lon = float(latitude or "nan"), float(longitude or "nan")
    except ValueError:
        return None
    return (lat, lon) if abs(lat) <= 90 and abs(lon) <= 180 else None  # False for NaN


def _capture(mix: Any, image: ImageInfo) -> None:
    """``ImageCaptureMetadata`` from the image's embedded EXIF, XMP or IPTC-IIM
    (ImageInfo.embedded): when it was taken, by whom, with what camera, where (GPS)."""
    facts = {key: value for key, (value, _source) in image.embedded().items()}
    when = _valid_date(facts.get("date"))
    creator, make, model = facts.get("creator"), facts.get("make"), facts.get("model")
    position = _position(facts.get("latitude"), facts.get("longitude"))
    if not (when or creator or make or model or position):
        return
    capture = sub(mix, MIX, "ImageCaptureMetadata")
    if when or creator:
        general = sub(capture, MIX, "GeneralCaptureInformation")
        if when:
            sub(general, MIX, "dateTimeCreated", when)
        if creator:
            sub(general, MIX, "imageProducer", creator)
    if make or model or position:
        camera = sub(capture, MIX, "DigitalCameraCapture")
        if make:
            sub(camera, MIX, "digitalCameraManufacturer", make)
        if model:
            sub(sub(camera, MIX, "DigitalCameraModel"), MIX, "digitalCameraModelName", model)
        if position is not None:
            gps = sub(sub(camera, MIX, "CameraCaptureSettings"), MIX, "GPSData")
            latitude, longitude = position
            sub(gps, MIX, "gpsLatitudeRef", "S" if latitude < 0 else "N")
            _dms(gps, "GPSLatitude", latitude)
            sub(gps, MIX, "gpsLongitudeRef", "W" if longitude < 0 else "E")
            _dms(gps, "GPSLongitude", longitude)


def mix_element(
    parent: Any,
    image: ImageInfo,
    path: str,
    format_name: str | None = None,
    format_version: str | None = None,
) -> Any:
    """``mix:mix`` for one image: identifier, size, format, fixity, dimensions, colour, sampling.
    ``format_name``/``format_version``: the format as PREMIS names it (the same words in both)."""
    mix = schema_location(sub(parent, MIX, "mix"))
    basic = sub(mix, MIX, "BasicDigitalObjectInformation")
    ident = sub(basic, MIX, "ObjectIdentifier")
    sub(ident, MIX, "objectIdentifierType", "local")
    sub(ident, MIX, "objectIdentifierValue", path)
    if image.size > 0:
        sub(basic, MIX, "fileSize", str(image.size))
    designation = sub(basic, MIX, "FormatDesignation")
    sub(designation, MIX, "formatName", format_name or image.mime_type or image.format)
    if format_version:
        sub(designation, MIX, "formatVersion", format_version)
    if image.sha256:
        fixity = sub(basic, MIX, "Fixity")
        sub(fixity, MIX, "messageDigestAlgorithm", "SHA-256")
        sub(fixity, MIX, "messageDigest", image.sha256.lower())
        sub(fixity, MIX, "messageDigestOriginator", "bagsmith")

    info = sub(mix, MIX, "BasicImageInformation")
    chars = sub(info, MIX, "BasicImageCharacteristics")
    if image.width > 0:  # 0 when Pillow could not read the size (see ImageInfo.problems)
        sub(chars, MIX, "imageWidth", str(image.width))
    if image.height > 0:
        sub(chars, MIX, "imageHeight", str(image.height))
    color_space = COLOR_SPACES.get(image.mode)
    if color_space or image.icc_profile:
        photometric = sub(chars, MIX, "PhotometricInterpretation")
        if color_space:
            sub(photometric, MIX, "colorSpace", color_space)
        if image.icc_profile:
            profile = sub(sub(photometric, MIX, "ColorProfile"), MIX, "IccProfile")
            sub(profile, MIX, "iccProfileName", image.icc_profile)

    _capture(mix, image)

    bits = [b for b in image.bits_per_sample if b > 0]
    dpi = image.dpi if image.dpi and min(image.dpi) > 0 else None
    if dpi or bits:
        assessment = sub(mix, MIX, "ImageAssessmentMetadata")
        if dpi:
            metrics = sub(assessment, MIX, "SpatialMetrics")
            sub(metrics, MIX, "samplingFrequencyUnit", "in.")
            _rational(metrics, "xSamplingFrequency", dpi[0])
            _rational(metrics, "ySamplingFrequency", dpi[1])
        if bits:
            encoding = sub(assessment, MIX, "ImageColorEncoding")
            per_sample = sub(encoding, MIX, "BitsPerSample")
            for value in bits:
                sub(per_sample, MIX, "bitsPerSampleValue", str(value))
            sub(
                per_sample,
                MIX,
                "bitsPerSampleUnit",
                "floating point" if image.mode == "F" else "integer",
            )
            sub(encoding, MIX, "samplesPerPixel", str(len(bits)))
    return mix
