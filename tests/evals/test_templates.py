from __future__ import annotations

import pytest

from openloop.errors import InvalidInput
from openloop.evals.templates import render, render_messages, template_variables


def test_variables_dotted_paths_and_no_html_escaping() -> None:
    text = render(
        "Q: {{input.question}} <{{input.tags.1}}> & {{{raw}}} {{&raw}}",
        {"input": {"question": "is 1 < 2 & 3 > 2?", "tags": ["a", "b"]}, "raw": "<b>"},
    )
    assert text == "Q: is 1 < 2 & 3 > 2? <b> & <b> <b>"


def test_non_string_values_render_as_json() -> None:
    text = render(
        "{{obj}} | {{items}} | {{flag}} | {{n}} | {{x}} | [{{nothing}}]",
        {
            "obj": {"a": [1, True]},
            "items": ["é", 2],
            "flag": False,
            "n": 1.5,
            "x": 3,
            "nothing": None,
        },
    )
    assert text == '{"a": [1, true]} | ["é", 2] | false | 1.5 | 3 | []'


def test_sections_inverted_comments_and_delimiters() -> None:
    template = (
        "{{! a note for prompt authors }}"
        "{{#docs}}- {{title}} ({{lang}})\n{{/docs}}"
        "{{^docs}}no docs{{/docs}}"
        "{{#user}}by {{name}}{{/user}}"
        "{{=<% %>=}} <% lang %> <%{lang}%>"
    )
    data = {
        "docs": [{"title": "A"}, {"title": "B", "lang": "fr"}],
        "lang": "en",
        "user": {"name": "Ann"},
    }
    # inner items fall back to outer names, as mustache does
    assert render(template, data) == "- A (en)\n- B (fr)\nby Ann en en"
    assert render(template, {"docs": [], "lang": "en", "user": None}) == "no docs en en"


def test_standalone_section_lines_leave_no_blank_lines() -> None:
    template = "Context:\n{{#context}}\n* {{.}}\n{{/context}}\nEnd"
    assert render(template, {"context": ["one", "two"]}) == "Context:\n* one\n* two\nEnd"


def test_strict_mode_names_first_missing_variable() -> None:
    with pytest.raises(InvalidInput) as info:
        render(
            "{{input.q}} {{metadata.user.id}} {{other}}",
            {"input": {"q": 1}, "metadata": {"user": {}}},
        )
    assert str(info.value) == "template variable 'metadata.user.id' is missing"
    assert info.value.details == {"variable": "metadata.user.id"}
    assert info.value.status == 400


def test_strict_mode_missing_section_but_inverted_section_tests_absence() -> None:
    with pytest.raises(InvalidInput, match="'items' is missing"):
        render("{{#items}}x{{/items}}", {})
    assert render("{{^items}}none{{/items}}", {}) == "none"
    with pytest.raises(InvalidInput, match="'name' is missing"):
        render("{{#items}}{{name}}{{/items}}", {"items": [{"name": "a"}, {}]})


def test_lenient_mode_renders_missing_as_empty() -> None:
    assert render("[{{a.b}}][{{#c}}x{{/c}}]", {}, strict=False) == "[][]"


def test_syntax_errors_are_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="template syntax error"):
        render("{{#open}} never closed", {"open": True})
    with pytest.raises(InvalidInput, match="partials are not supported"):
        render("{{> header}}", {})


def test_template_variables() -> None:
    text = "{{input.q}} {{#items}}{{name}}{{/items}} {{^done}}!{{/done}} {{! note }} {{{raw}}}"
    assert template_variables(text) == {"input.q", "items", "done", "raw"}


def test_render_messages_renders_text_parts_and_keeps_other_fields() -> None:
    messages = [
        {"role": "system", "content": "You grade {{subject}}."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Q: {{input}}"},
                {"type": "image_url", "image_url": {"url": "https://img/{{id}}.png"}},
            ],
            "name": "student",
        },
        {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
    ]
    out = render_messages(messages, {"subject": "math", "input": {"a": 1}, "id": 7})
    assert out[0] == {"role": "system", "content": "You grade math."}
    assert out[1]["content"][0]["text"] == 'Q: {"a": 1}'
    assert out[1]["content"][1]["image_url"]["url"] == "https://img/7.png"
    assert out[1]["name"] == "student"
    assert out[2] == messages[2]
    assert messages[0]["content"] == "You grade {{subject}}."  # input left untouched
    with pytest.raises(InvalidInput, match="'subject'"):
        render_messages(messages, {"input": 1, "id": 1})
