"""SQL strategy: break-out payloads go, real SQL questions and pasted queries stay intact."""

from __future__ import annotations

import pytest

from shared.findings import ThreatType
from shared.sanitize.sql import SqlInjectionStrategy

SQL = SqlInjectionStrategy()


def removed(text: str) -> list[tuple[str, str]]:
    return [(i.kind, text[i.span[0] : i.span[1]]) for i in SQL.find(text)]


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        ("login as admin' OR '1'='1 please", "tautology", "' OR '1'='1"),
        ("user: admin' or 1=1-- ", "tautology", "' or 1=1--"),
        ('name: x" or ""="', "tautology", '" or ""="'),
        ("id 5 OR 1=1", "tautology", "OR 1=1"),
        ("' and 1='1", "tautology", "' and 1='1"),
        ("search: ' or userid like '%", "tautology", "' or userid like '%"),
        ("x' AND 'i'='i", "tautology", "' AND 'i'='i"),
        ("My name is Robert'); DROP TABLE Students;-- ok?", "stacked_query", "'); DROP TABLE Students;--"),
        ("order id: 105; DROP TABLE Suppliers", "stacked_query", "; DROP TABLE Suppliers"),
        ("x'; EXEC xp_cmdshell 'dir'--", "stacked_query", "'; EXEC xp_cmdshell 'dir'--"),
        ("1'; SHUTDOWN --", "stacked_query", "'; SHUTDOWN --"),
        ("abc' UNION SELECT username, password FROM users--", "union_select",
         "' UNION SELECT username, password FROM users--"),
        ("UNION ALL SELECT NULL,NULL,NULL--", "union_select", "UNION ALL SELECT NULL,NULL,NULL--"),
        ("id=1 UNION SELECT @@version", "union_select", "1 UNION SELECT @@version"),
        ("admin'--", "quote_comment", "'--"),
        ("admin'#", "quote_comment", "'#"),
        ("x')/* trailing", "quote_comment", "')/*"),
        ("1' AND SLEEP(5)--", "time_based", "' AND SLEEP(5)--"),
        ("ORDER BY 1,SLEEP(5),BENCHMARK(1000000,MD5('A')),4", "time_based", ",SLEEP(5)"),
        ("x'; SELECT pg_sleep(10)--", "time_based", "'; SELECT pg_sleep(10)--"),
        ("1'; WAITFOR DELAY '0:0:5'--", "time_based", "'; WAITFOR DELAY '0:0:5'--"),
        ("or pg_SLEEP(5)#", "time_based", "or pg_SLEEP(5)#"),
    ],
)  # fmt: skip
def test_payloads_removed(text: str, kind: str, fragment: str) -> None:
    found = removed(text)
    assert (kind, fragment) in found or [fragment] == [f for _, f in found], found
    result = SQL.sanitize(text)
    assert "[SQL REMOVED]" in result.text
    assert all(i.threat_type is ThreatType.SQL_INJECTION for i in result.issues)


def test_time_based_benchmark_in_value_list() -> None:
    text = "ORDER BY 1,SLEEP(5),BENCHMARK(1000000,MD5('A')),4"
    assert SQL.sanitize(text).text == "ORDER BY 1[SQL REMOVED][SQL REMOVED],4"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT name FROM users WHERE id = 5 ORDER BY name;",
        "Users on gmail? SELECT * FROM users WHERE email LIKE '%@gmail.com';",
        "SELECT COUNT(*) FROM patients WHERE email LIKE '%@gmail.com' OR email LIKE '%@yahoo.com'",
        "SELECT a, NULL AS b FROM t1 UNION SELECT NULL, b FROM t2 ORDER BY 1;",
        "SELECT a FROM t1\nUNION ALL SELECT a\nFROM t2;",
        "DELETE FROM logs WHERE ts < now() - interval '30 days';\nDROP TABLE tmp_logs;",
        "BEGIN;\nUPDATE accounts SET balance = balance - 10 WHERE id = 1;\nCOMMIT;",
        "WHERE 1=1 AND status = 'active'",
        "WHERE name = 'x' OR name = 'y'",
        "If the data is insufficient, return 'SELECT ''I''m afraid I cannot answer'' AS msg'",
        "In Python, time.sleep(5) pauses; in bash use sleep 5.",
        "What does the -- comment do in SQL? And '#' in MySQL?",
        "I finished the draft; update the doc when you can; delete the old one.",
        "Rock 'n' roll -- and jazz.",
        "It's the students' -- or rather the teachers' -- choice.",
        "warnings.filterwarnings('always')  # or 'ignore'",
        ">>> example = list('abc')  # builtin",
        "Which is better, tabs or spaces? Either way x or y = y.",
    ],
)
def test_legitimate_sql_and_prose_untouched(text: str) -> None:
    assert SQL.find(text) == []


def test_fragments_of_one_payload_merge() -> None:
    text = "x' OR 1=1; DROP TABLE users--"
    issues = SQL.find(text)
    assert len(issues) == 1
    assert text[issues[0].span[0] : issues[0].span[1]] == "' OR 1=1; DROP TABLE users--"
    assert SQL.sanitize(text).text == "x[SQL REMOVED]"


def test_idempotent() -> None:
    text = "admin' OR '1'='1 and Robert'); DROP TABLE Students;-- and 1' AND SLEEP(5)#"
    once = SQL.sanitize(text).text
    assert SQL.find(once) == []
