"""The hostile-input suite (a package, so that its conftest and helpers never shadow the
`conftest` module that tests in tests/ import from)."""
