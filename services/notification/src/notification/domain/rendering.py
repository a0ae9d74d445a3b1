"""The email templates under `templates/`: one environment for every kind of message.

Each message has three templates, `<name>.subject.j2`, `<name>.txt.j2` and `<name>.html.j2`;
only the HTML one is autoescaped (the subject is a header and the text part plain text)."""

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notification.domain.mime import EmailContent

_templates = Environment(
    loader=PackageLoader("notification.domain", "templates"),
    autoescape=select_autoescape(["html", "html.j2"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def render_content(name: str, context: dict[str, Any]) -> EmailContent:
    subject = _templates.get_template(f"{name}.subject.j2").render(context).strip()
    return EmailContent(
        subject=subject,
        text=_templates.get_template(f"{name}.txt.j2").render(context),
        # The HTML escapes the subject in its title: the subject template itself is text.
        html=_templates.get_template(f"{name}.html.j2").render(context, subject=subject),
    )
