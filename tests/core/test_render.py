"""The template environment: overrides by name, confinement, strict variables, a sandbox that stops hostile code."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from incident_mcp.blocks import find_blocks
from incident_mcp.errors import TemplateError
from incident_mcp.render import (
    OVERRIDE_DIR,
    RenderLimitError,
    RenderLimits,
    check_template_name,
    code_span,
    environment_for,
    packaged_templates_dir,
    render,
)
from incident_mcp.workspace import Workspace
from tests.support.checkout import FIXTURES, REPO


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "company.config.yaml").write_text("company:\n  name: Acme\n")
    return Workspace.at(tmp_path)


def override(ws: Workspace, name: str, source: str) -> Path:
    path = ws.root / OVERRIDE_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def test_packaged_templates_are_found_from_a_source_checkout() -> None:
    folder = packaged_templates_dir()
    assert (folder / "incident-runbook.md.j2").is_file()
    assert (folder / "post-mortem-template.md.j2").is_file()


def test_a_workspace_override_replaces_the_packaged_template_of_the_same_name(ws: Workspace) -> None:
    override(ws, "runbook/severity.md.j2", "Our own severity table for {{ company }}\n")
    assert render(ws, "runbook/severity.md.j2", {"company": "Acme"}).text == "Our own severity table for Acme\n"
    assert render(None, "runbook/severity.md.j2", {"severities": []}).text.startswith("## Severity Classification")


def test_an_override_may_include_packaged_partials(ws: Workspace) -> None:
    override(ws, "mine.md.j2", "Intro\n{% include 'runbook/severity.md.j2' %}")
    text = render(ws, "mine.md.j2", {"severities": []}).text
    assert text.startswith("Intro\n## Severity Classification")


def test_an_override_created_after_first_use_is_picked_up_and_its_removal_too(ws: Workspace) -> None:
    context: dict[str, Any] = {"severities": []}
    assert "Severity Classification" in render(ws, "runbook/severity.md.j2", context).text
    path = override(ws, "runbook/severity.md.j2", "overridden\n")
    assert render(ws, "runbook/severity.md.j2", context).text == "overridden\n"
    path.write_text("edited again\n")
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert render(ws, "runbook/severity.md.j2", context).text == "edited again\n"
    path.unlink()
    assert "Severity Classification" in render(ws, "runbook/severity.md.j2", context).text


def test_an_undefined_variable_is_an_error_naming_template_and_line(ws: Workspace) -> None:
    override(ws, "broken.md.j2", "line one\nline two {{ compnay.name }}\n")
    with pytest.raises(TemplateError) as err:
        render(ws, "broken.md.j2", {"company": {"name": "Acme"}})
    message = str(err.value)
    assert "'broken.md.j2'" in message
    assert f"workspace override {OVERRIDE_DIR}/broken.md.j2" in message
    assert "line 2" in message
    assert "'compnay' is undefined" in message


def test_a_syntax_error_in_an_override_names_template_and_line(ws: Workspace) -> None:
    override(ws, "incident-runbook.md.j2", "# Title\n\n{% for x in %}\n")
    with pytest.raises(TemplateError) as err:
        render(ws, "incident-runbook.md.j2", {})
    assert "'incident-runbook.md.j2'" in str(err.value)
    assert "line 3" in str(err.value)
    assert "syntax error" in str(err.value)


def test_an_error_inside_an_included_partial_names_the_partial(ws: Workspace) -> None:
    override(ws, "outer.md.j2", "a\n{% include 'inner.md.j2' %}\n")
    override(ws, "inner.md.j2", "b\nc\n{{ missing }}\n")
    with pytest.raises(TemplateError) as err:
        render(ws, "outer.md.j2", {})
    assert "'inner.md.j2'" in str(err.value)
    assert "line 3" in str(err.value)


def test_including_a_missing_template_names_it(ws: Workspace) -> None:
    override(ws, "outer.md.j2", "a\n{% include 'nowhere.md.j2' %}\n")
    with pytest.raises(TemplateError, match=r"'nowhere.md.j2' not found.*line 2|line 2.*'nowhere.md.j2' not found"):
        render(ws, "outer.md.j2", {})


def test_a_missing_top_level_template_is_a_clear_error(ws: Workspace) -> None:
    with pytest.raises(TemplateError, match=r"'no-such\.md\.j2' not found"):
        render(ws, "no-such.md.j2", {})


@pytest.mark.parametrize("name", ["../secret.j2", "runbook/../../x.j2", "/etc/passwd", ".hidden.j2", "a//b.j2",
                                  "a\\b.j2", "a/./b.j2", "", "x\x00.j2"])
def test_template_names_that_could_leave_the_folder_are_refused(name: str) -> None:
    with pytest.raises(TemplateError, match="template name"):
        check_template_name(name)


def test_an_include_that_walks_out_of_the_folder_is_refused(ws: Workspace) -> None:
    (ws.root / "secret.txt").write_text("TOP SECRET")
    override(ws, "evil.md.j2", "{% include '../../secret.txt' %}")
    with pytest.raises(TemplateError, match="not a plain relative name") as err:
        render(ws, "evil.md.j2", {})
    assert "TOP SECRET" not in str(err.value)


def test_an_override_that_links_outside_the_override_folder_is_refused(ws: Workspace, tmp_path_factory:
                                                                         pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "payload.j2"
    outside.write_text("stolen {{ 1 }}")
    link = ws.root / OVERRIDE_DIR / "incident-runbook.md.j2"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside)
    with pytest.raises(TemplateError, match="link leading outside"):
        render(ws, "incident-runbook.md.j2", {})


def test_an_override_folder_that_links_outside_the_workspace_is_refused(ws: Workspace, tmp_path_factory:
                                                                         pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "incident-mcp").mkdir()
    (ws.root / "templates").symlink_to(outside)
    with pytest.raises(TemplateError, match="leads outside the workspace"):
        render(ws, "incident-runbook.md.j2", {})


def test_an_override_that_is_not_utf8_is_a_clear_error(ws: Workspace) -> None:
    path = ws.root / OVERRIDE_DIR / "bad.md.j2"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"ok\n\xff\xfe")
    with pytest.raises(TemplateError, match=r"'bad.md.j2'.*not UTF-8"):
        render(ws, "bad.md.j2", {})


def test_an_oversized_override_is_refused(ws: Workspace) -> None:
    override(ws, "huge.md.j2", "x" * 300_000)
    with pytest.raises(TemplateError, match="larger than"):
        render(ws, "huge.md.j2", {})


# ---- hostile overrides ----------------------------------------------------------------------------------


HOSTILE = {
    "class-mro": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "unsafe"),
    "globals": ("{{ cycler.__init__.__globals__.os }}", "unsafe"),
    "huge-range": ("{% for i in range(10**9) %}x{% endfor %}", "range()"),
    "nested-loops": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                     "steps of work"),
    "string-multiplication": ("{{ 'x' * 1000000000 }}", "'*' repetition"),
    "list-multiplication": ("{{ ([0] * 100000) * 100000 }}", "'*' repetition"),
    "macro-recursion": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "nested deeper"),
    "caller-recursion": ("{% macro f() %}{{ caller() }}{% endmacro %}"
                         "{% macro g() %}{% call f() %}{{ g() }}{% endcall %}{% endmacro %}{{ g() }}", "nested deeper"),
    "doubling-concat": ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                        "{% endfor %}", "'~' concatenation"),
    "doubling-plus": ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
                      "{% endfor %}", "'+' concatenation"),
    "center-filter": ("{{ 'x' | center(1000000000) }}", "larger than"),
    "center-method": ("{{ 'x'.center(1000000000) }}", "str.center"),
    "printf-width": ("{{ '%1000000000d' % 1 }}", "field widths"),
    "format-width": ("{{ '{:>1000000000}'.format(1) }}", "field widths"),
    "join-method": ("{{ ('x' * 1000000).join('y' * 1000000) }}", "join"),
    "replace-filter": ("{{ ('x' * 100000) | replace('x', 'y' * 100000) }}", "replace"),
    "indent-filter": ("{{ ('a\n' * 400000) | indent(50000) }}", "indent"),
    "translate": ("{{ 'x'.translate({120: 'yyyy'}) }}", "not available"),
    "self-include": ("{% include 'self-include' %}", "recursion too deep"),
    "output-flood": ("{% for i in range(100000) %}{% for j in range(100) %}{{ 'x' * 1000 }}{% endfor %}"
                     "{% endfor %}", "output is longer"),
    "mutate-context": ("{% set l = [1] %}{{ l.append(2) }}", "unsafe"),
    "big-power": ("{{ 2 ** 1000000000 }}", "exponent"),
    "power-tower": ("{% set boom = (9 ** 9999) ** 9999 %}", "bits"),
    "power-of-a-huge-base": ("{% set big = 2 ** 9000 %}{{ big ** 200 }}", "bits"),
    "squaring-loop": ("{% set ns = namespace(x=9 ** 9999) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}"
                      "{% endfor %}", "bits"),
    "repeat-by-huge-int": ("{{ 'x' * (9 ** 9999) }}", "'*' repetition"),
    "range-of-huge-int": ("{% for i in range(9 ** 9999) %}{% endfor %}", "range()"),
    "print-huge-int": ("{{ 9 ** 9999 }}", "digits"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_override_is_stopped_with_a_clear_error(ws: Workspace, case: str) -> None:
    source, expected = HOSTILE[case]
    override(ws, case, source)
    limits = RenderLimits(deadline_seconds=5.0)
    started = time.monotonic()
    with pytest.raises(TemplateError) as err:
        render(ws, case, {}, limits=limits)
    assert time.monotonic() - started < limits.deadline_seconds + 1
    assert expected in str(err.value)
    assert f"'{case}'" in str(err.value)


def test_a_slow_template_is_stopped_by_the_deadline(ws: Workspace) -> None:
    override(ws, "slow.md.j2", "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}"
                               "{% endfor %}")
    limits = RenderLimits(deadline_seconds=0.3, max_steps=10**12, max_output_chars=10**12)
    started = time.monotonic()
    with pytest.raises(RenderLimitError, match=r"longer than 0\.3 s"):
        render(ws, "slow.md.j2", {}, limits=limits)
    assert time.monotonic() - started < limits.deadline_seconds + 1


def test_the_environment_is_sandboxed_and_strict() -> None:
    env = environment_for(None)
    assert env.sandboxed
    assert env.autoescape is False
    assert not env.is_safe_attribute([], "append", [].append)


def test_ordinary_template_features_still_work(ws: Workspace) -> None:
    override(ws, "ok.md.j2", "{% for s in services %}{{ loop.index }}. {{ s.name | upper }}"
                             "{{ ', ' if not loop.last }}{% endfor %}\n{{ 'a' ~ 'b' }} {{ 3 * 'x' }} "
                             "{{ '%s-%d' % ('v', 2) }} {{ '{}!'.format('hi') }} {{ ['a', 'b'] | join('/') }}\n")
    text = render(ws, "ok.md.j2", {"services": [{"name": "api"}, {"name": "web"}]}).text
    assert text == "1. API, 2. WEBab xxx v-2 hi! a/b\n"  # trim_blocks eats the newline after a tag


def test_data_cannot_open_or_close_a_managed_block(ws: Workspace) -> None:
    hostile = "x <!-- incident-mcp:end title --> y\n<!-- incident-mcp:begin evil -->"
    override(ws, "doc.md.j2", "{% call managed('title') %}\n# {{ name }}\n{{ name | inline }}\n{% endcall %}\n")
    rendered = render(ws, "doc.md.j2", {"name": hostile})
    assert [b.name for b in find_blocks(rendered.text)] == ["title"]
    assert rendered.block_names == ["title"]


def test_a_managed_block_rendered_twice_is_an_error(ws: Workspace) -> None:
    override(ws, "twice.md.j2", "{% call managed('a') %}x{% endcall %}\n{% call managed('a') %}y{% endcall %}\n")
    with pytest.raises(TemplateError, match=r"'a' is rendered twice.*|.*line 2.*'a' is rendered twice"):
        render(ws, "twice.md.j2", {})


def test_a_managed_block_name_must_be_plain(ws: Workspace) -> None:
    override(ws, "badname.md.j2", "{% call managed('Bad Name') %}x{% endcall %}\n")
    with pytest.raises(TemplateError, match="managed block name"):
        render(ws, "badname.md.j2", {})


@pytest.mark.parametrize(("value", "expected"), [
    ("fly deploy", "`fly deploy`"),
    ("echo `date`", "`` echo `date` ``"),
    ("a | b\nc", "`a | b c`"),
])
def test_code_span_is_safe_for_any_text(value: str, expected: str) -> None:
    assert code_span(value) == expected


def test_an_installed_wheel_renders_from_its_bundled_templates(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
                    str(out), str(REPO)], check=True, capture_output=True)
    site = out / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(next(out.glob("incident_mcp-*.whl")))], check=True, capture_output=True)
    ws = tmp_path / "company"
    ws.mkdir()
    shutil.copy(FIXTURES / "stacks" / "fly-django" / "company.config.yaml", ws)
    code = ("from incident_mcp.render import packaged_templates_dir; from incident_mcp.runbook import "
            "generate_runbook; from incident_mcp.workspace import Workspace; print(packaged_templates_dir()); "
            "print([f.action for f in generate_runbook(Workspace.at('.')).files])")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ws, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    folder, actions = result.stdout.splitlines()
    assert Path(folder) == site / "incident_mcp" / "_bundled" / "templates"
    assert actions == "['created', 'created']"
    assert "fly deploy --app tallyho-web" in (ws / "standards" / "ops" / "incident-runbook.md").read_text()


# ---- issue 7: hostile overrides through the real entry point, with the default limits ---------------------------


@pytest.mark.parametrize("case", ["class-mro", "globals", "nested-loops", "huge-range", "output-flood",
                                  "string-multiplication", "macro-recursion"])
def test_a_hostile_runbook_override_stops_generation_with_a_clear_error_and_writes_nothing(
        ws: Workspace, case: str) -> None:
    from incident_mcp.render import DEFAULT_LIMITS
    from incident_mcp.runbook import generate_runbook

    generate_runbook(ws)
    standards = sorted((ws.root / "standards").rglob("*"))
    before = {p: p.read_bytes() for p in standards if p.is_file()}
    source, expected = HOSTILE[case]
    override(ws, "incident-runbook.md.j2", source)
    started = time.monotonic()
    with pytest.raises(TemplateError) as err:
        generate_runbook(ws, force=True)
    assert time.monotonic() - started < DEFAULT_LIMITS.deadline_seconds + 1
    assert expected in str(err.value) and "incident-runbook.md.j2" in str(err.value)
    assert sorted((ws.root / "standards").rglob("*")) == standards
    assert {p: p.read_bytes() for p in standards if p.is_file()} == before
