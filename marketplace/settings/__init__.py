"""Settings packages: base (shared), local (demo), test, production."""
