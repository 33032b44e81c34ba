"""Compiled templates kept on disk between builds: used only when this user signed them, never
for an edited template, and ignored (compiled afresh) when tampered with or brought along."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from briefsmith.theme import compiled
from briefsmith.theme.compiled import KEY_NAME, CompiledTemplates

REPO = Path(__file__).resolve().parent.parent
TEXT = "{% for x in items %}<p>{{ x }}</p>{% endfor %}\n"


def environment(folder: Path, cache: CompiledTemplates, **options: object) -> jinja2.Environment:
    settings: dict[str, object] = {"autoescape": True, "undefined": jinja2.StrictUndefined,
                                   "trim_blocks": True, "lstrip_blocks": True, **options}
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), bytecode_cache=cache,
                              **settings)  # type: ignore[arg-type]


def signed_cache(tmp_path: Path, templates: Path, key_home: Path) -> tuple[Path, Path]:
    """Compile `page.j2` once into a cache folder; the key made in `key_home`."""
    store = tmp_path / "store"
    cache = CompiledTemplates()
    cache.keep_in(store)
    assert environment(templates, cache).get_template("page.j2").render(items=[1]) == "<p>1</p>"
    files = list(store.glob("*.jinja"))
    assert len(files) == 1, files
    assert (key_home / "private" / KEY_NAME).stat().st_mode & 0o777 == 0o600
    assert (key_home / "private").stat().st_mode & 0o777 == 0o700
    return store, files[0]


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BRIEFSMITH_FONT_CACHE", str(tmp_path / "user-cache"))
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.j2").write_text(TEXT, encoding="utf-8")
    return folder


def loads_from_disk(store: Path, templates: Path, **options: object) -> bool:
    """A new process's view: nothing in memory, so a bucket has code only from a file it
    trusts."""
    fresh = CompiledTemplates()
    fresh.keep_in(store)
    env = environment(templates, fresh, **options)
    source = (templates / "page.j2").read_text(encoding="utf-8")
    return fresh.get_bucket(env, "page.j2", str(templates / "page.j2"), source).code is not None


def test_a_second_process_runs_what_the_first_compiled(tmp_path: Path, templates: Path) -> None:
    store, _ = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    assert loads_from_disk(store, templates)


def test_an_edited_template_is_compiled_again_not_served_from_disk(tmp_path: Path,
                                                                   templates: Path) -> None:
    store, _ = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    (templates / "page.j2").write_text(TEXT.replace("<p>", "<li>").replace("</p>", "</li>"),
                                       encoding="utf-8")
    assert not loads_from_disk(store, templates)
    fresh = CompiledTemplates()
    fresh.keep_in(store)
    assert environment(templates, fresh).get_template("page.j2").render(items=[2]) == "<li>2</li>"


def test_a_tampered_file_is_compiled_afresh_and_replaced(tmp_path: Path, templates: Path) -> None:
    store, path = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    good = path.read_bytes()
    bad = bytearray(good)
    bad[-10] ^= 0xFF
    path.write_bytes(bytes(bad))
    assert not loads_from_disk(store, templates)
    fresh = CompiledTemplates()
    fresh.keep_in(store)
    assert environment(templates, fresh).get_template("page.j2").render(items=[3]) == "<p>3</p>"
    assert path.read_bytes() == good  # signed again by this user
    assert loads_from_disk(store, templates)


def test_a_cache_that_came_with_someone_elses_project_is_not_run(
        tmp_path: Path, templates: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    monkeypatch.setenv("BRIEFSMITH_FONT_CACHE", str(tmp_path / "another-user"))
    assert not loads_from_disk(store, templates)


def test_compiled_for_other_environment_options_is_not_used(tmp_path: Path,
                                                            templates: Path) -> None:
    store, _ = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    assert not loads_from_disk(store, templates, trim_blocks=False)


def test_a_key_others_can_read_turns_the_disk_off(tmp_path: Path, templates: Path) -> None:
    store, _ = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    (tmp_path / "user-cache" / "private" / KEY_NAME).chmod(0o644)
    assert compiled._user_key() is None
    assert not loads_from_disk(store, templates)
    fresh = CompiledTemplates()
    fresh.keep_in(tmp_path / "elsewhere")
    environment(templates, fresh).get_template("page.j2")
    assert not (tmp_path / "elsewhere").exists()  # nothing written it could not sign


@pytest.mark.slow
def test_a_build_keeps_its_compiled_templates_and_an_edit_shows_in_the_next_build(
        sample: Path, tmp_path: Path) -> None:
    """Across processes, as a user runs them: a build reads the signed files the one before
    wrote, and a template edited between two builds is what the second renders."""
    env = dict(os.environ)
    argv = [sys.executable, str(REPO / "build.py"), "--project", str(sample), "build",
            "ottawa-treaty-2025", "--audience", "student", "--format", "html"]

    def build(*extra: str) -> str:
        proc = subprocess.run([*argv, *extra], capture_output=True, text=True, env=env,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        return (sample / "output" / "ottawa-treaty-2025" /
                "ottawa-treaty-2025-student.html").read_text(encoding="utf-8")

    first = build()
    store = sample / "output" / ".cache" / "templates"
    assert not store.exists()  # the first build into a new folder keeps nothing (compiled.py)
    assert build("--force") == first

    def kept() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in store.glob("*.jinja")}

    before = kept()
    assert len(before) >= 3, f"the build kept {len(before)} compiled templates"
    assert build("--force") == first
    assert kept() == before  # read, not compiled and written again (a write makes a new inode)
    entry = sample / "templates" / "_base" / "base.html.j2"
    text = entry.read_text(encoding="utf-8")
    marker = "Template edited between builds"
    assert "</body>" in text, entry
    entry.write_text(text.replace("</body>", f"<p>{marker}</p></body>", 1), encoding="utf-8")
    assert marker not in first and marker in build()  # no --force: as a user rebuilds


def test_a_link_or_fifo_in_the_cache_folder_is_not_read(tmp_path: Path, templates: Path) -> None:
    """A project can bring its own output/.cache/: a link out of it, or a FIFO that would block
    the build for ever, is skipped and replaced by a file of this user's."""
    store, path = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    outside = tmp_path / "outside.jinja"
    outside.write_bytes(path.read_bytes())  # even a validly signed file, when reached by a link
    path.unlink()
    path.symlink_to(outside)
    assert not loads_from_disk(store, templates)
    path.unlink()
    os.mkfifo(path)
    assert not loads_from_disk(store, templates)  # returns: the FIFO is not opened for reading
    fresh = CompiledTemplates()
    fresh.keep_in(store)
    assert environment(templates, fresh).get_template("page.j2").render(items=[4]) == "<p>4</p>"
    assert path.is_file() and not path.is_symlink()
    assert loads_from_disk(store, templates)


def test_a_group_writable_umask_still_gets_a_private_key(tmp_path: Path, templates: Path) -> None:
    """Under umask 002 (user private groups) the cache folder is group-writable; the key's own
    folder is made 0700 regardless, so the disk layer still works."""
    old = os.umask(0o002)
    try:
        store, _ = signed_cache(tmp_path, templates, tmp_path / "user-cache")
    finally:
        os.umask(old)
    assert (tmp_path / "user-cache").stat().st_mode & 0o020  # group-writable, as made
    assert loads_from_disk(store, templates)
