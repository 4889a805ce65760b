"""NISO MIX 2.0 technical metadata for an image, from its Pillow characterisation."""

from __future__ import annotations

import re
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


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _capture(mix: Any, exif: dict[str, str]) -> None:
    """``ImageCaptureMetadata`` from the image's embedded EXIF: when it was taken
    (DateTimeOriginal), by whom (Artist), with what (Make, Model)."""
    when = exif.get("date") if _DATETIME.fullmatch(exif.get("date") or "") else None
    artist, make, model = exif.get("artist"), exif.get("make"), exif.get("model")
    if not (when or artist or make or model):
        return
    capture = sub(mix, MIX, "ImageCaptureMetadata")
    if when or artist:
        general = sub(capture, MIX, "GeneralCaptureInformation")
        if when:
            sub(general, MIX, "dateTimeCreated", when)
        if artist:
            sub(general, MIX, "imageProducer", artist)
    if make or model:
        camera = sub(capture, MIX, "DigitalCameraCapture")
        if make:
            sub(camera, MIX, "digitalCameraManufacturer", make)
        if model:
            sub(sub(camera, MIX, "DigitalCameraModel"), MIX, "digitalCameraModelName", model)


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

    _capture(mix, image.exif)

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
