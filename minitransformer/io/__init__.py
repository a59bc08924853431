"""Reading and writing weights with NumPy only: safetensors (Hugging Face checkpoints) and .npz checkpoints."""
from .checkpoint import (  # noqa: F401
    atomic_open, atomic_write_bytes, atomic_write_text, load_npz, save_npz, to_numpy,
)
from .safetensors import (  # noqa: F401
    SafetensorsError, load_checkpoint_dir, load_file, load_sharded, read_header, read_metadata, save_file,
)
from .sharded import parse_size, save_sharded  # noqa: F401
