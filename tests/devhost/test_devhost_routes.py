"""Route templates: parameters, constraints, optional and catch-all pieces, precedence."""

from __future__ import annotations

import pytest

from infra.devhost.errors import DevHostError
from infra.devhost.routes import RouteTemplate


def test_literal_route_with_prefix_is_case_insensitive_and_tolerates_a_trailing_slash() -> None:
    t = RouteTemplate("analyze", "api")
    assert t.match("/api/analyze") == {}
    assert t.match("/API/Analyze") == {}
    assert t.match("/api/analyze/") == {}
    assert t.match("/api/analyzer") is None
    assert t.match("/analyze") is None
    assert t.url_path == "/api/analyze"


def test_empty_and_custom_prefixes() -> None:
    assert RouteTemplate("health", "").match("/health") == {}
    assert RouteTemplate("health", "").url_path == "/health"
    assert RouteTemplate("health", "v1/svc").match("/v1/svc/health") == {}
    assert RouteTemplate("health", "v1/svc").match("/api/health") is None


def test_parameters_are_captured_and_percent_decoded() -> None:
    t = RouteTemplate("users/{user_id}/profile", "api")
    assert t.match("/api/users/alice/profile") == {"user_id": "alice"}
    assert t.match("/api/users/a%20b%2Fc/profile") == {"user_id": "a b/c"}
    assert t.match("/api/users//profile") is None
    assert t.match("/api/users/a/b/profile") is None


@pytest.mark.parametrize(
    ("template", "good", "bad"),
    [
        ("n/{v:int}", ["/api/n/12", "/api/n/-3"], ["/api/n/1.5", "/api/n/x", "/api/n/99999999999"]),
        ("n/{v:long}", ["/api/n/99999999999"], ["/api/n/9.9"]),
        ("n/{v:bool}", ["/api/n/true", "/api/n/False"], ["/api/n/yes"]),
        ("n/{v:alpha}", ["/api/n/abcXYZ"], ["/api/n/abc1"]),
        ("n/{v:guid}", ["/api/n/6f9619ff-8b86-d011-b42d-00cf4fc964ff"], ["/api/n/not-a-guid"]),
        ("n/{v:double}", ["/api/n/1.5", "/api/n/-2e3"], ["/api/n/abc", "/api/n/nan"]),
        ("n/{v:datetime}", ["/api/n/2024-01-02"], ["/api/n/yesterday"]),
        ("n/{v:int:min(10)}", ["/api/n/10"], ["/api/n/9"]),
        ("n/{v:max(5)}", ["/api/n/5"], ["/api/n/6"]),
        ("n/{v:range(1,3)}", ["/api/n/2"], ["/api/n/4", "/api/n/0"]),
        ("n/{v:length(3)}", ["/api/n/abc"], ["/api/n/ab"]),
        ("n/{v:length(2,4)}", ["/api/n/abcd"], ["/api/n/abcde"]),
        ("n/{v:minlength(2)}", ["/api/n/ab"], ["/api/n/a"]),
        ("n/{v:maxlength(2)}", ["/api/n/ab"], ["/api/n/abc"]),
        ("n/{v:regex(^[a-z]{{2}}\\d$)}", ["/api/n/ab1"], ["/api/n/abc1"]),
    ],
)
def test_constraints(template: str, good: list[str], bad: list[str]) -> None:
    t = RouteTemplate(template, "api")
    for path in good:
        assert t.match(path) is not None, path
    for path in bad:
        assert t.match(path) is None, path


def test_optional_default_and_catch_all() -> None:
    opt = RouteTemplate("items/{id:int}/{name?}", "api")
    assert opt.match("/api/items/3") == {"id": "3"}
    assert opt.match("/api/items/3/bob") == {"id": "3", "name": "bob"}
    default = RouteTemplate("page/{n=1}", "api")
    assert default.match("/api/page") == {"n": "1"}
    assert default.match("/api/page/7") == {"n": "7"}
    rest = RouteTemplate("graph/{*path}", "api")
    assert rest.match("/api/graph") == {}
    assert rest.match("/api/graph/a/b/c") == {"path": "a/b/c"}


def test_several_parameters_in_one_segment() -> None:
    t = RouteTemplate("files/{name}.{ext}", "api")
    # As in ASP.NET, the literal splits from the right.
    assert t.match("/api/files/report.final.pdf") == {"name": "report.final", "ext": "pdf"}
    assert t.match("/api/files/noext") is None


def test_precedence_literals_before_constrained_before_plain_before_catch_all() -> None:
    templates = [RouteTemplate(r, "api") for r in ("files/{*rest}", "files/{name}", "files/{id:int}", "files/readme")]
    ordered = [t.template for t in sorted(templates, key=RouteTemplate.sort_key)]
    assert ordered == ["files/readme", "files/{id:int}", "files/{name}", "files/{*rest}"]


@pytest.mark.parametrize(
    "template",
    [
        "a/{x:nosuch}",
        "a/{*rest}/b",
        "a/{x}/{x}",
        "a/{x?}/b",
        "a/{x",
        "a/x}",
        "a//b",
        "a/{x:regex(()}",
        "a/{x:min(a)}",
        "a/{x:range(1)}",
        "a/{bad-name}",
    ],
)
def test_bad_templates_are_refused(template: str) -> None:
    with pytest.raises(DevHostError):
        RouteTemplate(template, "api")


def test_regex_constraints_run_on_re2_and_are_linear() -> None:
    # A pattern that backtracks catastrophically in Python's re is fine under RE2.
    t = RouteTemplate("n/{v:regex((a+)+$)}", "api")
    assert t.match("/api/n/" + "a" * 5000 + "!") is None
    assert t.match("/api/n/aaaa") == {"v": "aaaa"}
