"""Built-in strategies: ordinary strategy files (copy one to start your own). Load them by name with
:func:`minance.bots.loader.load_strategy`: ``dca``, ``safety-dca``, ``guard``, ``grid``, ``triarb``."""

__all__: list[str] = []
