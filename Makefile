# The few commands people run. Each one sets up what it needs first.
.PHONY: briefs test test-fast check lint clean bench

briefs:
	bash scripts/setup.sh
	.venv/bin/python build.py

test:
	bash scripts/setup.sh --test
	.venv/bin/python -m pytest -q

test-fast:  # every test not marked slow: under a minute, for each edit
	bash scripts/setup.sh --test
	.venv/bin/python -m pytest -q -m "not slow" --durations=5

check:
	bash scripts/setup.sh
	.venv/bin/python build.py check

lint:
	bash scripts/setup.sh --test
	.venv/bin/ruff check .
	.venv/bin/mypy  # files and strictness: [tool.mypy] in pyproject.toml

bench:  # `make bench BENCH_ARGS=--quick` for the short run; see benchmarks/README.md
	bash scripts/setup.sh
	.venv/bin/python benchmarks/bench.py $(BENCH_ARGS)

clean:
	rm -rf output
