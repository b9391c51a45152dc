"""The benchmarks (``python -m nnclaims.bench.suite …``, ``python -m nnclaims.bench.similarity``) and the prepared GPU run."""
