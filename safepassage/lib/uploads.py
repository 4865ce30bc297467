"""Uploaded proof: photos and scans, cleaned of everything but their pixels.

A photo taken in front of an embassy can carry the phone's GPS position,
its serial number, the owner's name and the time to the second, in EXIF,
XMP, IPTC, ICC or comment blocks. Images are therefore decoded and drawn
onto a new, empty image (after exif_transpose, so a portrait photo stays
upright), and only that is encoded and stored: no block of the original
survives. Colours in another profile are converted to sRGB first.

PDFs (scanned receipts, letters) cannot be cleaned the same way; they are
stored as they are, but only if they start with the PDF signature, and are
offered for download only (never shown inline). What a PDF says about its
author is the uploader's to check.

The stored name is random: an original file name (IMG_20260924_103012.jpg,
"receipt Kim Ji-woo.pdf") says too much.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Larger images are refused before they are decoded (a "decompression bomb"
# would otherwise take the memory of the whole server).
MAX_PIXELS = 60_000_000

PDF_MAGIC = b"%PDF-"

_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class CleanFile:
    """What is stored: the cleaned bytes under a random name."""

    content: bytes
    extension: str
    content_type: str

    @property
    def is_pdf(self) -> bool:
        return self.extension == "pdf"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def as_file(self) -> ContentFile[bytes]:
        return ContentFile(self.content, name=f"{uuid.uuid4().hex}.{self.extension}")


def read_upload(upload: UploadedFile, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(mb)d MB."), params={"mb": limit // (1024 * 1024)}
        )
    upload.seek(0)
    content: bytes = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            _("The file is larger than %(mb)d MB."), params={"mb": limit // (1024 * 1024)}
        )
    return content


def is_pdf(content: bytes) -> bool:
    return content.startswith(PDF_MAGIC)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Pixels in sRGB (the profile is dropped with the rest of the metadata)."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def clean_image(content: bytes) -> CleanFile:
    """Re-encode a JPEG, PNG or WebP image with nothing but its pixels.

    Raises ValidationError for anything else, for broken files and for
    images too large to decode safely.
    """
    try:
        with Image.open(io.BytesIO(content)) as probe:
            fmt = probe.format or ""
            if fmt not in _FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG or WebP image or a PDF."))
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationError(_("The image has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.seek(0)  # the first frame of an animation
            image.load()
            upright = ImageOps.exif_transpose(image)
            pixels = _to_srgb(upright)
            if fmt == "JPEG":
                mode = "L" if pixels.mode in ("L", "1") else "RGB"
            else:
                mode = "RGBA" if pixels.mode in ("RGBA", "LA", "PA", "P") else "RGB"
                if pixels.mode in ("L", "1"):
                    mode = "L" if fmt == "PNG" else "RGB"
            if pixels.mode != mode:
                pixels = pixels.convert(mode)
            # A brand-new image: no info dictionary, no EXIF/XMP/IPTC/ICC/comment.
            clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(_("This file is not a readable JPEG, PNG or WebP image.")) from None
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=90)
    extension, content_type = _FORMATS[fmt]
    return CleanFile(out.getvalue(), extension, content_type)


def clean_upload(upload: UploadedFile, *, allow_pdf: bool = True) -> CleanFile:
    """An uploaded image, cleaned, or an uploaded PDF as it is."""
    content = read_upload(upload)
    if is_pdf(content):
        if not allow_pdf:
            raise ValidationError(_("Upload a photo (JPEG, PNG or WebP); PDFs are for scans."))
        return CleanFile(content, "pdf", "application/pdf")
    return clean_image(content)


def read_pdf(upload: UploadedFile) -> bytes:
    """An uploaded file that must really be a PDF."""
    content = read_upload(upload)
    if not is_pdf(content):
        raise ValidationError(_("This file is not a PDF."))
    return content
