"""`Image`: a picture to log, encoded where it is made (in the training process).

    run.log({"samples": runwatch.Image(array, caption="epoch 3")}, step=step)

Accepted: a path to a PNG/JPEG/GIF/WebP file (stored byte for byte), a PIL image (encoded
with Pillow), or an array (numpy or torch; H×W grey, H×W×1/3/4; uint8, or floats in [0, 1]).
Arrays are encoded as PNG with Pillow when it is installed (`pip install runwatch[images]`),
else with the small zlib-based encoder below, so images work without Pillow too.
`format="jpeg"` (Pillow only) trades exactness for size on photos.

The size cap (2 MB by default, `Run(max_image_bytes=)`) is applied when the image is logged.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class ImageError(ValueError):
    """The value cannot be made into an image."""


class Image:
    __slots__ = ("caption", "data", "height", "mime", "width")

    def __init__(self, value: Any, caption: str = "", *, format: str = "png") -> None:
        if format not in ("png", "jpeg"):
            raise ImageError(f"format must be 'png' or 'jpeg', got {format!r}")
        self.caption = str(caption)
        if isinstance(value, str | os.PathLike):
            self.data, self.mime, self.width, self.height = _from_file(os.fspath(value))
        elif type(value).__module__.startswith("PIL"):
            self.data, self.mime, self.width, self.height = _from_pil(value, format)
        elif hasattr(value, "__array__") or hasattr(value, "detach"):
            self.data, self.mime, self.width, self.height = _from_array(value, format)
        else:
            raise ImageError(
                f"Image takes a path, a PIL image or an array, got {type(value).__name__}"
            )

    @classmethod
    def from_bytes(cls, data: bytes, caption: str = "") -> Image:
        """An already encoded PNG/JPEG/GIF/WebP file's bytes, stored as they are."""
        mime = sniff_mime(data)
        if mime is None:
            raise ImageError("the bytes are not a PNG, JPEG, GIF or WebP file")
        self = cls.__new__(cls)
        self.caption = str(caption)
        self.data = bytes(data)
        self.mime = mime
        self.width, self.height = _dimensions(self.data, mime)
        return self

    @property
    def size(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"Image({self.mime}, {self.width}x{self.height}, {self.size} bytes)"


def sniff_mime(data: bytes) -> str | None:
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _from_file(path: str) -> tuple[bytes, str, int, int]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ImageError(f"cannot read image file {path}: {exc}") from None
    mime = sniff_mime(data)
    if mime is None:
        raise ImageError(f"{path} is not a PNG, JPEG, GIF or WebP file")
    width, height = _dimensions(data, mime)
    return data, mime, width, height


def _dimensions(data: bytes, mime: str) -> tuple[int, int]:
    if mime == "image/png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if mime == "image/gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    try:
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except Exception:  # Pillow absent or unreadable: the bytes are still shown by a browser
        return 0, 0


def _from_pil(img: Any, format: str) -> tuple[bytes, str, int, int]:
    out = io.BytesIO()
    if format == "jpeg":
        img.convert("RGB").save(out, format="JPEG", quality=90)
        return out.getvalue(), "image/jpeg", int(img.width), int(img.height)
    if img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        img = img.convert("RGBA")
    img.save(out, format="PNG")
    return out.getvalue(), "image/png", int(img.width), int(img.height)


def _from_array(value: Any, format: str) -> tuple[bytes, str, int, int]:
    import numpy as np

    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or 0 in a.shape:
        raise ImageError(f"an image array is H×W, H×W×1, H×W×3 or H×W×4, got shape {a.shape}")
    if a.dtype.kind == "f":
        a = (np.clip(np.nan_to_num(a), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif a.dtype.kind == "b":
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    height, width = int(a.shape[0]), int(a.shape[1])
    try:
        from PIL import Image as PILImage
    except ImportError:
        if format == "jpeg":
            raise ImageError("format='jpeg' needs Pillow (pip install runwatch[images])") from None
        return encode_png(np.ascontiguousarray(a).tobytes(), width, height,
                          1 if a.ndim == 2 else int(a.shape[2])), "image/png", width, height
    return _from_pil(PILImage.fromarray(a), format)


def encode_png(pixels: bytes, width: int, height: int, channels: int) -> bytes:
    """8-bit grey/RGB/RGBA pixels (row-major) as a PNG file, filter 0 on every row."""
    colour_type = {1: 0, 3: 2, 4: 6}[channels]
    stride = width * channels
    raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
            + chunk(b"IEND", b""))
