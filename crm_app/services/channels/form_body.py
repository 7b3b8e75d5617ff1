"""One reader for every web-form body a sender posts: JSON (flat, nested, lists of {name, value},
Typeform's answers), urlencoded (PHP-style `a[b][c]` keys, repeated keys as lists, Unbounce's
`data.json`) and multipart (Jotform's `rawRequest` + `pretty`). It only says what was answered
and under which label; which CRM field that is, is `forms.parse`'s business.

Bodies are read at the route, before anything is stored, so a body that is not what its
Content-Type says, or is hostile (nested deeper than any form), is refused with a 400 and never
becomes an event that can only fail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from crm_app.services.channels import BadPayload, raw_depth

MAX_DEPTH = 32  # no real form nests deeper; hundreds of levels is an attack on the parser
MAX_FIELDS = 2000


@dataclass
class Answer:
    """One answer: the label a human reads (`label`), other names of the same field the sender
    gave (`names`: an id, a key) and the sender's own type for it (`kind`: email, phone_number,
    first, last ...), when it said."""

    label: str
    value: str | list[str]
    names: tuple[str, ...] = ()
    kind: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return ", ".join(self.value) if isinstance(self.value, list) else self.value


def media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a parsed JSON value, without recursion; stops counting past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > limit:
                return deepest
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def load_json_value(body: bytes, limit: int = MAX_DEPTH) -> Any:
    """Parsed JSON, BadPayload when it is not JSON or nests deeper than `limit`."""
    if raw_depth(body) > limit:
        raise BadPayload("JSON nested too deeply")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadPayload("body is not JSON") from exc


def read(body: bytes, content_type: str) -> list[Answer]:
    """Every non-empty answer in the body; BadPayload when the body is not what its type says
    or holds no answer at all."""
    media = media_type(content_type)
    stripped = body.strip()
    if not stripped:
        raise BadPayload("empty body")
    if media == "multipart/form-data":
        data = _tree(_multipart(body, content_type))
    elif media == "application/x-www-form-urlencoded":
        data = _tree(_urlencoded(body))
    elif media == "application/json" or media.endswith("+json") or (
            media in ("", "text/plain") and stripped[:1] in (b"{", b"[")):
        data = load_json_value(body)
    elif media in ("", "text/plain") and b"=" in stripped:
        data = _tree(_urlencoded(body))
    else:
        raise BadPayload(f"unsupported content type {media!r}")
    answers = list(_answers(data))
    if not answers:
        raise BadPayload("form body holds no answer")
    return answers


# ---------------------------------------------------------------- bodies to a tree

def _urlencoded(body: bytes) -> list[tuple[str, str]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadPayload("form body is not UTF-8") from exc
    if text.lstrip()[:1] in ("{", "["):
        raise BadPayload("JSON sent as a urlencoded form")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise BadPayload("too many fields") from exc
    if not pairs:
        raise BadPayload("not a urlencoded form")
    return pairs


def _multipart(body: bytes, content_type: str) -> list[tuple[str, str]]:
    if "boundary=" not in content_type.lower():
        raise BadPayload("multipart body without boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadPayload("not a multipart body")
    pairs: list[tuple[str, str]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        if filename:  # a file's bytes are not an answer; its name is
            pairs.append((name, filename))
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            pairs.append((name, payload.decode(charset)))
        except (LookupError, UnicodeDecodeError) as exc:
            raise BadPayload("multipart part is not text") from exc
        if len(pairs) > MAX_FIELDS:
            raise BadPayload("too many fields")
    if not pairs and not message.defects:
        raise BadPayload("multipart body without parts")
    if not pairs:
        raise BadPayload("malformed multipart body")
    return pairs


_BRACKET_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")


def _tree(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """PHP-style keys into nested objects ("fields[email][value]"), "a[]" and repeated keys into
    lists, in the order sent."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _BRACKET_KEY.match(key)
        path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))] if match else [key]
        if len(path) > MAX_DEPTH:
            raise BadPayload("form keys nested too deeply")
        append = path[-1] == ""
        path = [p for p in path if p != ""] or [key]
        node = root
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        last = path[-1]
        existing = node.get(last)
        if existing is None:
            node[last] = [value] if append else value
        elif isinstance(existing, list):
            existing.append(value)
        elif isinstance(existing, str):
            node[last] = [existing, value]
    return root


# ---------------------------------------------------------------- a tree to answers

# Keys a sender adds that are not answers and carry nothing a salesperson needs.
_NOISE = frozenset({
    "dataxml", "rawrequest", "pretty", "jsexecutiontracker", "webhookurl", "useragent", "poweredby",
    "remoteip", "ip", "ipaddress", "otpcode", "submitsource", "builddate", "uploadserverurl",
    "eventobserver", "validatednewrequiredfieldids", "fileserver", "tempupload", "slug", "path",
    "preview", "timetosubmit", "formconfigid", "datakey", "statussend", "mergeaddress",
    "totalrevenue", "timezone", "customparams", "isSilent".lower(), "documentid", "teamid",
})
# Container keys whose children are answers labelled by their own keys.
_CONTAINERS = frozenset({"data", "fields", "formdata", "trackingform", "answers", "meta", "form_fields",
                         "formfields", "fielddata", "hidden", "lead", "submission", "values", "entry"})
# Keys that, under a parent, only make sense with the parent's name: ad.id -> ad_id.
_GENERIC = frozenset({"id", "name", "title", "label"})
_NAME_PARTS = frozenset({"first", "last", "middle", "prefix", "suffix"})


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text or None


def _values(value: Any) -> str | list[str] | None:
    if isinstance(value, list):
        items = [t for t in (_scalar(v) for v in value) if t]
        if not items or len(items) != len([v for v in value if not isinstance(v, (dict, list))]):
            return items or None
        return items[0] if len(items) == 1 and len(value) == 1 else items
    return _scalar(value)


def _answers(data: Any) -> Iterator[Answer]:
    if isinstance(data, dict):
        response = data.get("form_response")
        if isinstance(response, dict) and isinstance(response.get("answers"), list):
            yield from _typeform(response)
            return
        raw = data.get("rawRequest")
        if isinstance(raw, str) and raw.strip().startswith("{"):
            try:
                request = load_json_value(raw.encode())
            except BadPayload:
                request = None
            if isinstance(request, dict):
                yield from _jotform(request, data.get("pretty"))
                return
        blob = data.get("data.json")  # Unbounce: the answers as JSON of one-element lists
        if isinstance(blob, str) and blob.strip().startswith("{"):
            try:
                parsed = load_json_value(blob.encode())
            except BadPayload:
                parsed = None
            if isinstance(parsed, dict):
                data = {**{k: v for k, v in data.items() if k != "data.json"}, **parsed}
    seen: set[tuple[str, str]] = set()
    for answer in _walk(data, None):
        key = (_squash(answer.label), answer.text)
        if key not in seen:  # Unbounce repeats page_url at both levels
            seen.add(key)
            yield answer


def _item(node: dict[str, Any], key: str | None) -> Answer | None:
    """{name|label|title|key|id, value|values|raw_value}: one answer spelled as an object (under
    `key`, which labels it when the object does not)."""
    holder = next((k for k in ("value", "values", "answer", "raw_value") if k in node), None)
    label_key = next((k for k in ("title", "label", "name", "key", "field", "id") if _scalar(node.get(k))), None)
    if holder is None or (label_key is None and key is None):
        return None
    value = _values(node.get(holder))
    if value is None and holder == "value":
        value = _values(node.get("raw_value"))
    if value is None:
        return Answer(label="", value="")  # an empty answer: known, nothing to keep
    names = tuple(t for t in (_scalar(node.get(k)) for k in ("name", "id", "key", "field")) if t)
    kind = _scalar(node.get("type"))
    label = str(_scalar(node.get(label_key))) if label_key else str(key)
    if key is not None and label_key is not None:
        names = (*names, key)
    return Answer(label=label, value=value, names=names, kind=kind)


def _walk(node: Any, key: str | None, parent: str | None = None, level: int = 0) -> Iterator[Answer]:
    if level > MAX_DEPTH:
        raise BadPayload("body nested too deeply")
    if isinstance(node, dict):
        item = _item(node, key)
        if item is not None:
            if item.label and _squash(item.label) not in _NOISE:
                yield item
            return
        if key is not None and node and set(node) <= _NAME_PARTS and (node.get("first") or node.get("last")):
            for part in ("first", "last"):
                if text := _scalar(node.get(part)):
                    yield Answer(label=f"{key} {part}", value=text, names=(key,), kind=part)
            return
        container = key is None or _squash(key) in _CONTAINERS
        for child_key, child in node.items():
            if _squash(str(child_key)) in _NOISE:
                continue
            label = str(child_key)
            if not container and key is not None and _squash(label) in _GENERIC:
                label = f"{key}_{label}"
            yield from _walk(child, label, key, level + 1)
        return
    if isinstance(node, list):
        if all(not isinstance(v, (dict, list)) for v in node):
            value = _values(node)
            if value is not None and key is not None:
                yield Answer(label=key, value=value)
            return
        for child in node:
            yield from _walk(child, key, parent, level + 1)
        return
    text = _scalar(node)
    if text is not None and key is not None:
        yield Answer(label=key, value=text)


_TYPEFORM_VALUE = {"text": "text", "email": "email", "phone_number": "phone_number", "url": "url",
                   "file_url": "file_url", "date": "date", "number": "number", "boolean": "boolean"}


def _typeform(response: dict[str, Any]) -> Iterator[Answer]:
    definition = d if isinstance(d := response.get("definition"), dict) else {}
    titles = {f.get("id"): f for f in definition.get("fields") or [] if isinstance(f, dict)}
    for answer in response["answers"]:
        if not isinstance(answer, dict):
            continue
        kind = str(answer.get("type") or "")
        field_ = f if isinstance(f := answer.get("field"), dict) else {}
        question = titles.get(field_.get("id"), {})
        if kind == "choice":
            choice = c if isinstance(c := answer.get("choice"), dict) else {}
            value: Any = choice.get("label") or choice.get("other")
        elif kind == "choices":
            choices = c if isinstance(c := answer.get("choices"), dict) else {}
            value = [*(choices.get("labels") or []), *([choices["other"]] if choices.get("other") else [])]
        else:
            value = answer.get(_TYPEFORM_VALUE.get(kind, kind))
        text = _values(value)
        if text is None:
            continue
        label = _scalar(question.get("title")) or _scalar(field_.get("ref")) or _scalar(field_.get("id")) or kind
        names = tuple(t for t in (_scalar(field_.get("ref")), _scalar(field_.get("id"))) if t)
        yield Answer(label=label, value=text, names=names, kind=kind if kind in ("email", "phone_number")
                     else _scalar(field_.get("type")))
    hidden = response.get("hidden")
    if isinstance(hidden, dict):
        yield from _walk(hidden, None)


_JOTFORM_Q = re.compile(r"^q(\d+)_(.+)$")


def _jotform(request: dict[str, Any], pretty: Any) -> Iterator[Answer]:
    """Answers are rawRequest's q<N>_<name> keys; their human labels only exist in `pretty`
    ("Label:value, Label:value"), which labels with ':' or ',' make impossible to split, so each
    answer's value is looked up in it in order and the label is what precedes it."""
    text = pretty if isinstance(pretty, str) else ""
    cursor = 0
    for key, value in request.items():
        match = _JOTFORM_Q.match(str(key))
        if not match:
            continue
        name = match.group(2)
        if isinstance(value, dict):
            if set(value) <= _NAME_PARTS | {"middle"} and (value.get("first") or value.get("last")):
                shown = " ".join(t for t in (_scalar(value.get(p)) for p in ("prefix", "first", "middle", "last",
                                                                             "suffix")) if t)
                cursor = _advance(text, shown, cursor)[1]
                for part in ("first", "last"):
                    if part_text := _scalar(value.get(part)):
                        yield Answer(label=f"{name} {part}", value=part_text, names=(name,), kind=part)
                continue
            parts = [t for t in (_scalar(v) for v in value.values()) if t]
            if not parts:
                continue
            answer: str | list[str] = " ".join(parts)
        else:
            found = _values(value)
            if found is None:
                continue
            answer = found
        shown = " ".join(answer) if isinstance(answer, list) else answer
        label, cursor = _advance(text, shown, cursor)
        yield Answer(label=label or name, value=answer, names=(name,))


def _advance(pretty: str, shown: str, cursor: int) -> tuple[str | None, int]:
    if not pretty or not shown:
        return None, cursor
    start = cursor
    while (idx := pretty.find(":" + shown, start)) >= 0:
        end = idx + 1 + len(shown)
        if end == len(pretty) or pretty.startswith(", ", end):
            label = pretty[cursor:idx].strip()
            label = label[2:] if label.startswith(", ") else label.lstrip(", ")
            return label.strip() or None, end
        start = idx + 1
    return None, cursor
