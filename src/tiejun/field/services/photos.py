"""The photo of a check-in: checked to be a real, reasonably small image, stored as a small
JPEG without the original's metadata."""

from __future__ import annotations

import io
import warnings
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from tiejun.errors import TiejunError

PHOTO_MAX_PIXELS = 40_000_000  # far below Pillow's own bomb limit: no phone takes more
PHOTO_MAX_SIDE = 1600  # the stored copy: enough to see a shop front, small on the disk


class TooLarge(TiejunError):
    status = 413


def _too_large(size: int, limit: int) -> TooLarge:
    return TooLarge(
        _("the photo is %(size)s MB; at most %(max)s MB is accepted")
        % {"size": f"{size / 1048576:.1f}", "max": f"{limit / 1048576:.1f}"},
        field="photo",
    )


def _read(photo: Any, limit: int) -> bytes:
    size = getattr(photo, "size", None)
    if size is not None and size > limit:
        raise _too_large(size, limit)
    try:
        photo.seek(0)
        data: bytes = photo.read()
        photo.seek(0)
    except (AttributeError, OSError):
        raise TiejunError(_("the photo could not be read"), field="photo") from None
    if len(data) > limit:
        raise _too_large(len(data), limit)
    return data


def check_photo(photo: Any) -> ContentFile[bytes]:
    """A real image (Pillow can verify it) of at most TIEJUN_PHOTO_MAX_BYTES and
    ``PHOTO_MAX_PIXELS``; returns the copy to store: a JPEG at most ``PHOTO_MAX_SIDE`` pixels
    wide or high, upright, without the original's metadata."""
    data = _read(photo, settings.PHOTO_MAX_BYTES)
    too_big = TiejunError(
        _("the photo has more than %(n)d megapixels; send a smaller one")
        % {"n": PHOTO_MAX_PIXELS // 1_000_000},
        field="photo",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                # The header's size, read before a pixel is decoded: a bomb stops here.
                if image.width * image.height > PHOTO_MAX_PIXELS:
                    raise too_big
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))  # JPEG: decode scaled down
                copy = ImageOps.exif_transpose(image).convert("RGB")
    except TiejunError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except Exception:  # Pillow raises many kinds for a file that is not an image
        raise TiejunError(_("the photo is not an image"), field="photo") from None
    copy.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=82, optimize=True)
    return ContentFile(out.getvalue())
