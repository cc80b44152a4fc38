"""HTML snippets of paywall boxes, in-flow notice sentences, hidden containers and promos.

Every builder takes a seeded ``random.Random`` and a :class:`~scraper.synth.wordings.Wording`
and returns ``(html, notice_text)``: the markup to insert and the notice sentence it carries
(None for promos). Styles of boxes: ``generic`` (classes such as ``paywall``, ``regwall`` or a
neutral ``c-callout``), ``vendor`` (Piano/Tinypass, Poool, Zephr, Pelcro, Steady, Leaky
Paywall, MemberPress, Ghost, Substack markup), ``plain`` (no telling class), ``form`` (a login
or sign-up form).
"""

from __future__ import annotations

import random
from html import escape

from scraper.synth.wordings import Wording

__all__ = ["BOX_STYLES", "HIDE_METHODS", "VENDORS", "box", "hidden_wrapper", "notice_text",
           "promo", "sentence"]

BOX_STYLES = ("generic", "vendor", "plain", "form")
VENDORS = ("piano", "poool", "zephr", "pelcro", "steady", "leaky", "memberpress", "ghost",
           "substack")
HIDE_METHODS = ("display-none", "hidden-attr", "visibility", "blur", "fade")
PROMO_KINDS = ("newsletter", "donation", "comment_login")

_GENERIC_CLASSES = ("paywall", "paywall-box", "premium-box", "subscription-gate", "regwall",
                    "article-locked", "meter-wall", "subscriber-only", "js-paywall c-paywall",
                    "c-callout", "o-box o-box--highlight", "block-cta", "article-footer-cta",
                    "module module--accent")
_NEUTRAL_CLASSES = ("c-callout", "box", "sc-1q2w3e4", "css-8y9xk2", "content-block", "panel",
                    "widget widget--wide", "")
_VENDOR_SCRIPTS = {
    "piano": "https://cdn.tinypass.com/api/tinypass.min.js",
    "poool": "https://assets.poool.fr/audit.min.js",
    "zephr": "/zephr/features.js",
    "pelcro": "https://js.pelcro.com/sdk/main.min.js",
    "steady": "https://steadyhq.com/widget_loader/8f3a2c",
    "leaky": "/wp-content/plugins/leaky-paywall/js/leaky-paywall.js",
    "memberpress": "/wp-content/plugins/memberpress/js/mepr.js",
    "ghost": "https://cdn.jsdelivr.net/ghost/portal@~2.37/umd/portal.min.js",
    "substack": "https://substackcdn.com/bundle/static/js/main.js",
}


def _pick(rng: random.Random, values: tuple[str, ...]) -> str:
    return values[rng.randrange(len(values))]


def notice_text(rng: random.Random, wording: Wording, family: str) -> str:
    text = _pick(rng, wording.notices[family].text)
    return text.replace("{pct}", str(rng.randrange(35, 91)))


def _heading(rng: random.Random, wording: Wording, family: str) -> str | None:
    headings = wording.notices[family].heading
    return _pick(rng, headings) if headings and rng.random() < 0.6 else None


def _link(href: str, label: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<a href="{escape(href)}"{klass}>{escape(label)}</a>'


def _parts(rng: random.Random, wording: Wording, family: str) -> dict[str, str | None]:
    """The pieces of a box, each present or not."""
    register = family == "register-free"
    sub_path = _pick(rng, wording.paths["register" if register else "subscribe"])
    label = _pick(rng, wording.buttons["register" if register else
                                      ("offers" if rng.random() < 0.3 else "subscribe")])
    login = _pick(rng, wording.already_subscriber)
    login_path = _pick(rng, wording.paths["login"])
    return {
        "heading": _heading(rng, wording, family),
        "text": notice_text(rng, wording, family),
        "offer": _pick(rng, wording.offers) if rng.random() < 0.5 and not register else None,
        "button": label if rng.random() < 0.8 else None,
        "button_href": sub_path,
        "login": login if rng.random() < 0.5 else None,
        "login_href": login_path,
        "login_label": _pick(rng, wording.buttons["login"]),
    }


def _inner(p: dict[str, str | None], *, h: str = "h3", btn_cls: str = "btn", prefix: str = "") -> str:
    out = []
    if p["heading"]:
        out.append(f'<{h} class="{prefix}title">{escape(p["heading"])}</{h}>' if prefix
                   else f"<{h}>{escape(p['heading'])}</{h}>")
    out.append(f"<p>{escape(p['text'] or '')}</p>")
    if p["offer"]:
        out.append(f'<p class="{prefix}offer">{escape(p["offer"])}</p>' if prefix
                   else f"<p><strong>{escape(p['offer'])}</strong></p>")
    if p["button"]:
        out.append(_link(p["button_href"] or "/", p["button"], btn_cls))
    if p["login"]:
        out.append(f"<p>{_link(p['login_href'] or '/', p['login'])}</p>")
    return "".join(out)


def box(rng: random.Random, wording: Wording, family: str, style: str) -> tuple[str, str, str]:
    """A paywall box: ``(html, notice_text, style_detail)``."""
    p = _parts(rng, wording, family)
    lang = f' lang="{wording.language}"'
    notice = p["text"] or ""
    if style == "generic":
        cls = _pick(rng, _GENERIC_CLASSES)
        tag = _pick(rng, ("div", "section", "aside"))
        data = ' data-paywall="true"' if rng.random() < 0.25 else ""
        html = f'<{tag} class="{cls}"{data}{lang}>{_inner(p)}</{tag}>'
        return html, notice, f"generic:{cls.split()[0]}"
    if style == "plain":
        cls = _pick(rng, _NEUTRAL_CLASSES)
        klass = f' class="{cls}"' if cls else ""
        html = f"<div{klass}{lang}>{_inner(p, h=_pick(rng, ('h2', 'h3', 'h4')))}</div>"
        return html, notice, "plain"
    if style == "form":
        register = family == "register-free"
        action = p["button_href"] if register else p["login_href"]
        password = "" if register else (
            f'<label>{escape(wording.form["password"])} '
            '<input type="password" name="password" autocomplete="current-password"></label>'
        )
        submit = p["button"] or _pick(rng, wording.buttons["register" if register else "login"])
        if not register:
            submit = p["login_label"] or submit
        form = (f'<form action="{escape(action or "/")}" method="post">'
                f'<label>{escape(wording.form["email"])} <input type="email" name="email"></label>'
                f'{password}<button type="submit">{escape(submit)}</button></form>')
        heading = f"<h3>{escape(p['heading'])}</h3>" if p["heading"] else ""
        sub = "" if register else (
            f"<p>{_link(p['button_href'] or '/', _pick(rng, wording.buttons['subscribe']))}</p>"
            if rng.random() < 0.6 else "")
        cls = _pick(rng, ("login-wall", "c-callout", "auth-box", ""))
        klass = f' class="{cls}"' if cls else ""
        html = f"<div{klass}{lang}>{heading}<p>{escape(notice)}</p>{form}{sub}</div>"
        return html, notice, "form:register" if register else "form:login"
    vendor = _pick(rng, VENDORS)
    return _vendor(vendor, p, lang), notice, f"vendor:{vendor}"


def _vendor(vendor: str, p: dict[str, str | None], lang: str) -> str:
    script = f'<script src="{_VENDOR_SCRIPTS[vendor]}" async></script>'
    if vendor == "piano":
        return (f'<div id="piano-inline" class="tp-container-inner"{lang}><div class="tp-template">'
                f'{_inner(p, h="h2", btn_cls="tp-btn tp-subscribe", prefix="tp-")}</div></div>{script}')
    if vendor == "poool":
        return (f'<div id="poool-widget" class="poool-widget" data-poool-mode="hide"{lang}>'
                f'{_inner(p, btn_cls="p3-button")}</div>{script}')
    if vendor == "zephr":
        return (f'<div class="zephr-feature" data-zephr-feature="article-paywall"{lang}>'
                f'<div class="zephr-component">{_inner(p, btn_cls="zephr-button")}</div></div>')
    if vendor == "pelcro":
        return (f'<div class="pelcro-paywall-container"{lang}>'
                f'{_inner(p, btn_cls="pelcro-subscribe-button")}</div>{script}')
    if vendor == "steady":
        return (f'<div id="steady-paywall" class="steady-paywall-container"{lang}>'
                f'{_inner(p, btn_cls="steady-button")}</div>{script}')
    if vendor == "leaky":
        return (f'<div class="leaky_paywall_message_wrap"{lang}><div id="leaky_paywall_message">'
                f'{_inner(p)}</div></div>')
    if vendor == "memberpress":
        return (f'<div class="mepr-unauthorized-message"{lang}><div class="mp_wrapper">'
                f'{_inner(p, btn_cls="mepr-button")}</div></div>')
    if vendor == "ghost":
        heading = f"<h2>{escape(p['heading'])}</h2>" if p["heading"] else ""
        login = (f'<p><small>{_link("#/portal/signin", p["login"])}</small></p>'
                 if p["login"] else "")
        button = (f'<a class="gh-btn" data-portal="signup" href="#/portal/signup">'
                  f'{escape(p["button"])}</a>' if p["button"] else "")
        return (f'<aside class="gh-post-upgrade-cta"{lang}><div class="gh-post-upgrade-cta-content">'
                f"{heading}<p>{escape(p['text'] or '')}</p>{button}{login}</div></aside>")
    # substack
    heading = f'<h2 class="paywall-title">{escape(p["heading"])}</h2>' if p["heading"] else ""
    button = (f'<div class="paywall-cta">{_link(p["button_href"] or "/subscribe", p["button"], "button primary")}</div>'
              if p["button"] else "")
    login = f'<div class="paywall-login">{_link(p["login_href"] or "/", p["login"])}</div>' if p["login"] else ""
    return (f'<div class="paywall" data-component-name="Paywall"{lang}>{heading}'
            f'<p class="paywall-text">{escape(p["text"] or "")}</p>{button}{login}</div>')


def sentence(rng: random.Random, wording: Wording, family: str) -> tuple[str, str, str]:
    """One plain paragraph in the article flow: ``(html, notice_text, style_detail)``."""
    text = notice_text(rng, wording, family)
    lang = f' lang="{wording.language}"'
    roll = rng.random()
    if roll < 0.25:  # with a link on the call to action
        path = _pick(rng, wording.paths["register" if family == "register-free" else "subscribe"])
        label = _pick(rng, wording.buttons["register" if family == "register-free" else "subscribe"])
        return f"<p{lang}>{escape(text)} {_link(path, label)}</p>", text, "sentence:link"
    if roll < 0.45:
        tag = _pick(rng, ("em", "strong", "i", "b"))
        return f"<p{lang}><{tag}>{escape(text)}</{tag}></p>", text, f"sentence:{tag}"
    return f"<p{lang}>{escape(text)}</p>", text, "sentence:plain"


def hidden_wrapper(rng: random.Random, method: str, inner: str) -> str:
    """``inner`` (the rest of the body) in a container a reader does not see."""
    cls = _pick(rng, ("", "", "article-rest", "premium-content", "paywalled-content",
                      "content-locked", "c-article__body--rest"))
    klass = f' class="{cls}"' if cls else ""
    if method == "display-none":
        return f'<div{klass} style="display:none">{inner}</div>'
    if method == "hidden-attr":
        return f"<div{klass} hidden>{inner}</div>"
    if method == "visibility":
        return f'<div{klass} style="visibility: hidden; height: 0">{inner}</div>'
    if method == "blur":
        px = rng.choice((3, 4, 5, 8))
        return (f'<div{klass} style="filter: blur({px}px); user-select: none; '
                f'pointer-events: none">{inner}</div>')
    # fade: clipped container with a gradient overlay
    height = rng.choice((80, 120, 160))
    return (f'<div{klass} style="max-height:{height}px; overflow:hidden; position:relative">'
            f"{inner}<div class=\"fade-overlay\" style=\"position:absolute; bottom:0; left:0; "
            f"right:0; height:{height}px; background:linear-gradient(to bottom, "
            f'rgba(255,255,255,0), #fff 90%)"></div></div>')


def promo(rng: random.Random, wording: Wording, kind: str) -> str:
    """A promo that is not a wall: newsletter box, donation ask, "log in to comment",
    cookie banner, or a header/sidebar/footer subscribe or print/app promo."""
    lang = f' lang="{wording.language}"'
    text = escape(_pick(rng, wording.promos[kind]))
    if kind == "newsletter":
        cls = _pick(rng, ("newsletter-signup", "nl-box", "c-callout", "signup-module"))
        return (f'<aside class="{cls}"{lang}><p>{text}</p><form action="/newsletter" method="post">'
                f'<input type="email" name="email" placeholder="{escape(wording.form["email"])}">'
                f'<button type="submit">OK</button></form></aside>')
    if kind == "donation":
        cls = _pick(rng, ("support-us", "donate-box", "contribution-ask", "c-callout"))
        return (f'<div class="{cls}"{lang}><p>{text}</p>'
                f'{_link(_pick(rng, ("/donate", "/support", "/don", "/spenden")), "♥", "btn")}</div>')
    if kind == "comment_login":
        return (f'<div class="comments"{lang}><h3>💬</h3><p>{text}</p>'
                f'{_link(_pick(rng, wording.paths["login"]), _pick(rng, wording.buttons["login"]))}</div>')
    if kind == "cookie":
        return (f'<div id="cookie-banner" class="cookie-consent" role="dialog"{lang}><p>{text}</p>'
                f'<button type="button">OK</button></div>')
    # subscribe_promo / print: a link in the header, sidebar or footer
    href = _pick(rng, wording.paths["subscribe"])
    return f'<div class="promo-link"{lang}>{_link(href, _pick(rng, wording.promos[kind]))}</div>'
