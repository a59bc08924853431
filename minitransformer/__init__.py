"""minitransformer: a Transformer text classifier from first principles in NumPy (CuPy on a GPU)."""
