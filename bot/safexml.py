"""Hostile-XML-safe parsing of callback bodies: no DOCTYPE, no entities, flat dict out."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class BadXML(ValueError):
    """The body is not well-formed, or carries a DOCTYPE / entity declaration."""


def _to_dict(el: Element):
    if len(el) == 0:
        return el.text or ""
    return {child.tag: _to_dict(child) for child in el}


def parse(body: bytes | str) -> dict:
    """The children of the root <xml> element as a dict (nested elements as nested dicts)."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as exc:
        raise BadXML(str(exc)) from exc
    if root.tag != "xml":
        raise BadXML(f"root element is <{root.tag}>, expected <xml>")
    data = _to_dict(root)
    return data if isinstance(data, dict) else {}
