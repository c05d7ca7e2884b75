"""The shared kernel, below every domain: input checks, the form-answer helpers, CSV, recorded changes and the
shape a domain registers itself with. It imports no domain."""
