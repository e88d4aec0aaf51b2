"""The services the simulator writes about, and how people name them.

Canonical names are the ones the service catalog (``data/services.json``) uses;
surface forms are what people type, each with a weight (how often it is used).

>>> SERVICES["Exchange Online"].kind
'email'
>>> "Hotmail" in SERVICES["Outlook"].forms
True
>>> len(SERVICES)
12
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Service:
    """One service: canonical name, surface forms (weighted), vendor handles, kind.

    ``kind`` selects the complaint phrasings (email, chat, video, social,
    streaming, music, payments, telecom); ``symptoms`` weights the symptom of its
    sporadic outage complaints; ``peak_hour`` is its busiest UTC hour.
    """

    name: str
    kind: str
    forms: dict[str, float]
    handles: tuple[str, ...] = ()
    symptoms: dict[str, float] = field(default_factory=dict)
    peak_hour: float = 15.0
    products: tuple[str, ...] = ()


def _svc(name: str, kind: str, forms: dict[str, float], **kw: object) -> Service:
    return Service(name=name, kind=kind, forms=forms, **kw)  # type: ignore[arg-type]


EMAIL = {"access": 3, "messaging": 4, "app": 2, "connectivity": 1.5, "performance": 1}
CHAT = {"messaging": 4, "app": 3, "connectivity": 2, "access": 1.5, "performance": 1}
VIDEO = {"connectivity": 4, "app": 3, "performance": 2, "access": 1}
SOCIAL = {"app": 4, "access": 2, "messaging": 1.5, "performance": 1.5}
STREAMING = {"app": 3, "performance": 3, "access": 1.5, "connectivity": 1}
MUSIC = {"app": 4, "performance": 2, "access": 1.5, "connectivity": 1.5}
PAYMENTS = {"payments": 5, "access": 2, "app": 2}
TELECOM = {"connectivity": 6, "performance": 2, "messaging": 1.5, "app": 0.5}

SERVICES: dict[str, Service] = {
    s.name: s
    for s in [
        _svc(
            "Exchange Online",
            "email",
            {
                "Exchange Online": 5,
                "exchange online": 2,
                "Exchange": 4,
                "#ExchangeOnline": 1.5,
                "Office 365 email": 2,
                "O365 email": 1.5,
                "o365 mail": 1,
                "M365 mail": 1,
            },
            handles=("@MSFT365Status",),
            symptoms=EMAIL,
            peak_hour=13.0,
            products=("mailboxes", "email and calendars", "shared mailboxes"),
        ),
        _svc(
            "Outlook",
            "email",
            {"Outlook": 8, "outlook.com": 1.5, "Hotmail": 1.5},
            handles=("@Outlook",),
            symptoms=EMAIL,
            peak_hour=13.5,
            products=("inbox", "calendar", "the desktop app", "the mobile app", "OWA"),
        ),
        _svc(
            "Microsoft Teams",
            "chat",
            {"Teams": 6, "MS Teams": 3, "Microsoft Teams": 3},
            handles=("@MicrosoftTeams",),
            symptoms={**CHAT, "connectivity": 3},
            peak_hour=13.0,
            products=("chat", "meetings", "channels", "calls"),
        ),
        _svc(
            "Gmail",
            "email",
            {"Gmail": 9, "google mail": 1},
            handles=("@gmail",),
            symptoms=EMAIL,
            peak_hour=15.5,
            products=("inbox", "the Gmail app", "labels", "attachments"),
        ),
        _svc(
            "Slack",
            "chat",
            {"Slack": 10},
            handles=("@SlackHQ",),
            symptoms=CHAT,
            peak_hour=15.0,
            products=("threads", "huddles", "channels", "DMs"),
        ),
        _svc(
            "Zoom",
            "video",
            {"Zoom": 10},
            handles=("@Zoom",),
            symptoms=VIDEO,
            peak_hour=15.0,
            products=("meetings", "webinars", "screen share", "breakout rooms"),
        ),
        _svc(
            "WhatsApp",
            "chat",
            {"WhatsApp": 7, "whatsapp": 3, "WA": 0.6},
            symptoms={**CHAT, "messaging": 6},
            peak_hour=18.0,
            products=("group chats", "voice notes", "status", "WhatsApp Web"),
        ),
        _svc(
            "Instagram",
            "social",
            {"Instagram": 6, "insta": 3, "IG": 2},
            handles=("@instagram",),
            symptoms=SOCIAL,
            peak_hour=20.0,
            products=("stories", "reels", "DMs", "the feed"),
        ),
        _svc(
            "Netflix",
            "streaming",
            {"Netflix": 10},
            handles=("@netflix",),
            symptoms=STREAMING,
            peak_hour=1.0,
            products=("the app", "my profile", "downloads", "the TV app"),
        ),
        _svc(
            "Spotify",
            "music",
            {"Spotify": 10},
            handles=("@Spotify",),
            symptoms=MUSIC,
            peak_hour=17.0,
            products=("my playlists", "podcasts", "the desktop app", "Discover Weekly"),
        ),
        _svc(
            "PayPal",
            "payments",
            {"PayPal": 7, "paypal": 3},
            handles=("@PayPal",),
            symptoms=PAYMENTS,
            peak_hour=17.0,
            products=("checkout", "transfers", "the PayPal app", "invoices"),
        ),
        _svc(
            "Verizon",
            "telecom",
            {"Verizon": 7, "Verizon Fios": 2},
            handles=("@VerizonSupport", "@Verizon"),
            symptoms=TELECOM,
            peak_hour=19.0,
            products=("Fios internet", "5G home", "my phone line", "the My Verizon app"),
        ),
    ]
}

__all__ = ["SERVICES", "Service"]
