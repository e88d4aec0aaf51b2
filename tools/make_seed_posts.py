"""Write ``data/seed_posts.csv``: labelled posts the project authored itself.

Every post is generated from templates written for this project (no text is taken
from any dataset), labelled by ``../shared/data/posts/LABELING.md``: ``outage``
(with a symptom), ``complaint`` (not an outage) and ``other`` (chatter, news and
official status updates about outages, non-outage uses of "down"/"crash").
Services, phrasings, typos, slang, hashtags, mentions and emoji vary so that a model
learns how people report failures rather than any one brand or topic.

Run: ``.venv/bin/python tools/make_seed_posts.py [--seed 7] [--out data/seed_posts.csv]``
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

SERVICES: dict[str, list[str]] = {
    "email": [
        "Outlook",
        "Gmail",
        "Yahoo Mail",
        "Exchange Online",
        "ProtonMail",
        "iCloud Mail",
        "Hotmail",
        "AOL Mail",
        "Office 365",
        "Microsoft 365",
    ],
    "chat": [
        "Teams",
        "Slack",
        "WhatsApp",
        "Discord",
        "Messenger",
        "Telegram",
        "Signal",
        "Zoom",
        "Google Meet",
        "Webex",
        "iMessage",
        "Skype",
    ],
    "social": [
        "Instagram",
        "Facebook",
        "Twitter",
        "TikTok",
        "Reddit",
        "Snapchat",
        "YouTube",
        "LinkedIn",
        "Pinterest",
        "Threads",
        "Bluesky",
        "Mastodon",
    ],
    "streaming": [
        "Netflix",
        "Spotify",
        "Hulu",
        "Disney+",
        "Twitch",
        "Prime Video",
        "HBO Max",
        "Apple Music",
        "Peacock",
        "Paramount+",
        "Crunchyroll",
        "SoundCloud",
    ],
    "games": [
        "Xbox Live",
        "PSN",
        "Steam",
        "Fortnite",
        "Roblox",
        "Call of Duty",
        "Battle.net",
        "Minecraft",
        "Valorant",
        "League of Legends",
        "Apex Legends",
        "Nintendo Online",
        "EA servers",
        "Epic Games",
    ],
    "bank": [
        "Chase",
        "Bank of America",
        "Wells Fargo",
        "Barclays",
        "HSBC",
        "Monzo",
        "Revolut",
        "Capital One",
        "Citi",
        "Lloyds",
        "NatWest",
        "TD Bank",
        "Santander",
        "ING",
    ],
    "payments": [
        "PayPal",
        "Venmo",
        "Cash App",
        "Stripe",
        "Square",
        "Apple Pay",
        "Google Pay",
        "Zelle",
        "Klarna",
        "Wise",
    ],
    "telco": [
        "Xfinity",
        "Verizon",
        "AT&T",
        "T-Mobile",
        "Spectrum",
        "Vodafone",
        "BT",
        "Sky Broadband",
        "Cox",
        "Virgin Media",
        "EE",
        "Optimum",
        "CenturyLink",
        "Frontier",
        "Rogers",
        "Bell",
        "Telstra",
        "Jio",
        "Airtel",
        "Three",
        "O2",
        "Starlink",
    ],
    "power": [
        "PG&E",
        "Con Edison",
        "Duke Energy",
        "ComEd",
        "Eskom",
        "Georgia Power",
        "FPL",
        "SCE",
        "Xcel Energy",
        "Dominion Energy",
        "National Grid",
        "Hydro One",
    ],
    "cloud": [
        "AWS",
        "Azure",
        "GitHub",
        "Google Cloud",
        "Cloudflare",
        "Heroku",
        "Vercel",
        "Netlify",
        "DigitalOcean",
        "Jira",
        "Confluence",
        "Salesforce",
        "Shopify",
        "Dropbox",
        "Google Drive",
        "OneDrive",
        "iCloud",
        "Notion",
        "ChatGPT",
        "Gitlab",
    ],
    "airline": [
        "Delta",
        "United",
        "American Airlines",
        "Southwest",
        "JetBlue",
        "Ryanair",
        "easyJet",
        "British Airways",
        "Alaska Air",
        "Lufthansa",
        "Air Canada",
    ],
    "shop": [
        "Amazon",
        "DoorDash",
        "Uber Eats",
        "Uber",
        "Lyft",
        "Instacart",
        "eBay",
        "Etsy",
        "Walmart",
        "Target",
        "Grubhub",
        "Deliveroo",
        "Starbucks app",
        "McDonalds app",
    ],
}
THINGS = {  # what a user of each kind of service tries to do, and the device/app noun
    "email": (
        [
            "send emails",
            "open my inbox",
            "get any mail",
            "sync my mailbox",
            "check my email",
            "attach files",
            "send calendar invites",
        ],
        "mail app",
    ),
    "chat": (
        [
            "join the call",
            "send messages",
            "share my screen",
            "load my chats",
            "join the meeting",
            "upload a file",
            "hear anyone on the call",
        ],
        "app",
    ),
    "social": (
        [
            "post anything",
            "load my feed",
            "upload a story",
            "see comments",
            "refresh the timeline",
            "send DMs",
            "watch videos",
        ],
        "app",
    ),
    "streaming": (
        [
            "play anything",
            "stream a single show",
            "load my playlists",
            "watch the game",
            "start an episode",
            "download songs",
        ],
        "app",
    ),
    "games": (
        [
            "join a match",
            "connect to the servers",
            "sign in to the game",
            "join my friends",
            "launch the game",
            "play online",
            "matchmake",
        ],
        "game",
    ),
    "bank": (
        [
            "see my balance",
            "transfer money",
            "pay my rent",
            "log into online banking",
            "use my card",
            "deposit a check",
            "open the banking app",
        ],
        "banking app",
    ),
    "payments": (
        [
            "send money",
            "pay my friend",
            "checkout",
            "receive payments",
            "link my card",
            "cash out",
            "pay for groceries",
        ],
        "app",
    ),
    "telco": (
        [
            "get online",
            "make calls",
            "stream anything",
            "load a webpage",
            "get a signal",
            "connect to wifi",
            "send a text",
        ],
        "router",
    ),
    "power": (
        [
            "charge my phone",
            "run the fridge",
            "work from home",
            "see anything",
            "cook dinner",
            "keep the heat on",
        ],
        "meter",
    ),
    "cloud": (
        [
            "deploy",
            "push my code",
            "open the dashboard",
            "run our pipeline",
            "reach our instances",
            "sync my files",
            "open my docs",
        ],
        "console",
    ),
    "airline": (
        [
            "check in online",
            "book a flight",
            "load my boarding pass",
            "change my seat in the app",
            "log into my account",
        ],
        "app",
    ),
    "shop": (
        [
            "place an order",
            "check out",
            "track my order",
            "open the app",
            "request a ride",
            "pay in the app",
            "add items to my cart",
        ],
        "app",
    ),
}

HANDLE_STYLE = ["@{h}", "@{h}Support", "@{h}Help", "@Ask{h}", "@{h}Cares"]
HASH_TAGS = [
    "#fail",
    "#help",
    "#annoyed",
    "#smh",
    "#ugh",
    "#wtf",
    "#Monday",
    "#frustrated",
    "#NotHappy",
    "#sos",
    "#why",
]
OUTAGE_TAGS = ["#outage", "#down", "#downtime", "#WFH", "#offline", "#noInternet", "#bug"]
COMPLAINT_TAGS = ["#customerservice", "#refund", "#neveragain", "#ripoff", "#badservice"]
EMOJI_BAD = ["😡", "😤", "🙄", "😭", "😩", "🤬", "😒", "💀", "😑", "🤦", "😫"]
EMOJI_OK = ["😂", "👍", "🙏", "😊", "🎉", "❤️", "🔥", "😎", "🍕", "☕"]
TIMES = [
    "since 2pm",
    "since this morning",
    "for 3 hours now",
    "all day",
    "again",
    "for the last hour",
    "since 9am",
    "right now",
    "today",
    "tonight",
    "since last night",
    "for 20 mins",
    "this morning",
    "for two days",
    "since 7:30",
    "for like an hour",
    "since the update",
    "at the worst possible time",
    "in the middle of my meeting",
]
OPENERS = [
    "",
    "",
    "",
    "",
    "ugh ",
    "wow ",
    "great. ",
    "seriously ",
    "hey ",
    "lol ",
    "omg ",
    "so ",
    "welp ",
    "cool cool ",
    "of course ",
    "yo ",
    "um ",
    "PSA: ",
    "fyi ",
]
CLOSERS = [
    "",
    "",
    "",
    "",
    " smh",
    " wtf",
    " pls fix",
    " help",
    " any ETA?",
    " come on",
    " 🙄",
    " lol",
    " ffs",
    " this is ridiculous",
    " anyone else?",
    " fix it!!",
    " I have work to do",
    " kill me",
    " great timing",
    " again??",
]
PLACES = [
    "Austin",
    "north London",
    "Brooklyn",
    "Leeds",
    "Phoenix",
    "my area",
    "Toronto",
    "Mumbai",
    "Sydney",
    "the Bay Area",
    "Dublin",
    "Chicago",
    "Durban",
    "Ohio",
    "Lagos",
    "the east side",
    "Seattle",
    "Glasgow",
    "Houston",
    "Melbourne",
]


def _svc(rng: random.Random, kind: str | None = None) -> tuple[str, str]:
    kind = kind or rng.choice(list(SERVICES))
    return kind, rng.choice(SERVICES[kind])


# --- outage posts: (symptom, template) ; {s} service, {t} time, {do} an action, {app} noun --
OUTAGE: list[tuple[str, str, str | None]] = [
    # (symptom, template, service kind or None for any)
    ("app", "is {s} down?", None),
    ("app", "is {s} down for anyone else??", None),
    ("app", "{s} down?", None),
    ("app", "{s} is down {t}", None),
    ("app", "{s} down again. {t}", None),
    ("app", "anyone else's {s} not working?", None),
    ("app", "{s} not working {t}", None),
    ("app", "{s} isnt working for me {t}", None),
    ("app", "{s} wont load", None),
    ("app", "{s} won't load at all {t}", None),
    ("app", "{s} app keeps crashing", None),
    ("app", "{s} keeps crashing every time I open it", None),
    ("app", "the {s} app crashes on launch since the update", None),
    ("app", "{s} website just shows a blank page", None),
    ("app", "getting a 500 error on {s} {t}", None),
    ("app", "{s} throwing 'something went wrong' errors {t}", None),
    ("app", "error 503 on {s}. is it just me?", None),
    ("app", "{s} is broken {t}", None),
    ("app", "is it just me or is {s} completely dead", None),
    ("app", "what is going on with {s}?? nothing loads", None),
    ("app", "{s} stuck on the loading screen", None),
    ("app", "{s} page won't open, just spins forever", None),
    ("app", "cant {do}, {s} just errors out", None),
    ("app", "{s} outage? can't {do}", None),
    ("app", "massive {s} outage {t}", None),
    ("app", "{s} servers down again?", "games"),
    ("app", "{s} servers are down {t}, cant {do}", "games"),
    ("app", "{s} update broke the app, it wont open anymore", None),
    ("app", "search on {s} isn't working", None),
    ("app", "the {app} froze and won't respond {t}", None),
    ("app", "{s} is giving me a black screen", "streaming"),
    ("app", "{s} says 'service unavailable' {t}", None),
    ("app", "downdetector says {s} is down, can confirm", None),
    ("app", "{s} having issues? {do} fails every time", None),
    ("app", "there's a problem with {s}, nothing works", None),
    ("app", "{s} down in {p}?", None),
    ("app", "{s}dooown", None),
    ("app", "#{h}Down", None),
    ("app", "is {s} down or is it my phone", None),
    ("app", "{s} not loading for anyone else?", None),
    ("app", "{s} login page is just a white screen", None),
    ("access", "can't log in to {s}", None),
    ("access", "cant login to {s} {t}", None),
    ("access", "{s} won't let me sign in", None),
    ("access", "{s} keeps logging me out", None),
    ("access", "locked out of my {s} account and the reset link doesn't work", None),
    ("access", "{s} says my password is wrong but it isnt. login broken?", None),
    ("access", "unable to sign in to {s} {t}", None),
    ("access", "{s} sign-in is broken, authentication error every time", None),
    ("access", "{s} 2FA code never arrives so I can't log in", None),
    ("access", "can't access my {s} account {t}", None),
    ("access", "can't access my email", "email"),
    ("access", "can't access my mailbox {t}", "email"),
    ("access", "keep getting 'authentication failed' on {s}", None),
    ("access", "{s} login not working. tried 3 browsers", None),
    ("access", "{s} kicked me out and now i cant get back in", None),
    ("access", "anyone else unable to log into {s}?", None),
    ("access", "can't log into online banking {t}", "bank"),
    ("access", "{s} app won't accept my PIN {t}", "bank"),
    ("connectivity", "no internet {t}", "telco"),
    ("connectivity", "{s} internet is down {t}", "telco"),
    ("connectivity", "{s} outage in {p}? no internet {t}", "telco"),
    ("connectivity", "no signal at all {t} @{h}", "telco"),
    ("connectivity", "my wifi keeps dropping {t}", "telco"),
    ("connectivity", "{s} down in {p}. modem lights blinking orange", "telco"),
    ("connectivity", "calls keep dropping on {s} {t}", "telco"),
    ("connectivity", "no service on {s} {t}. cant {do}", "telco"),
    ("connectivity", "internet out again. thanks {s}", "telco"),
    ("connectivity", "{s} has no connection in {p} {t}", "telco"),
    ("connectivity", "phone says 'SOS only'. {s} down?", "telco"),
    ("connectivity", "cant connect to {s} {t}", None),
    ("connectivity", "{s} says 'unable to connect to server'", "games"),
    ("connectivity", "keep getting disconnected from {s}", None),
    ("connectivity", "connection to {s} keeps timing out and dropping", "cloud"),
    ("connectivity", "power's out {t}", "power"),
    ("connectivity", "no power {t}", "power"),
    ("connectivity", "power outage in {p} {t}. {s} any update?", "power"),
    ("connectivity", "sitting in the dark, no power again", "power"),
    ("connectivity", "lost power {t}, can't {do}", "power"),
    ("connectivity", "@{h} power is out on our street {t}", "power"),
    ("connectivity", "our power keeps flickering on and off {t}", "power"),
    ("connectivity", "power went out in the middle of dinner. {s} when will it be back?", "power"),
    ("connectivity", "still no electricity {t}, fridge is getting warm", "power"),
    ("connectivity", "we have no power and no heat {t}", "power"),
    ("connectivity", "no electricity in {p} {t} 😩", "power"),
    ("connectivity", "the lights just went out here. power outage again!", "power"),
    ("messaging", "emails stuck in outbox {t}", "email"),
    ("messaging", "not receiving any emails {t}", "email"),
    ("messaging", "{s} not sending emails", "email"),
    ("messaging", "calendar invites not sending", "email"),
    ("messaging", "{s} messages not delivering {t}", "chat"),
    ("messaging", "{s} messages stuck on one tick", "chat"),
    ("messaging", "can't send messages on {s}", "chat"),
    ("messaging", "not getting any notifications from {s} {t}", None),
    ("messaging", "texts aren't going through on {s}", "telco"),
    ("messaging", "my emails keep bouncing back {t}", "email"),
    ("messaging", "{s} inbox is empty and no new mail is arriving", "email"),
    ("messaging", "{s} DMs won't send", "social"),
    ("messaging", "can't receive verification texts from anyone {t}", "telco"),
    ("messaging", "sent mail isn't arriving, {s} delivery delayed for hours", "email"),
    ("messaging", "my {s} chats won't sync across devices", "chat"),
    ("performance", "{s} is so slow {t}", None),
    ("performance", "{s} is super laggy {t}", None),
    ("performance", "{s} keeps buffering", "streaming"),
    ("performance", "internet speed is terrible {t}, {s} giving me 2mbps", "telco"),
    ("performance", "everything on {s} is timing out", None),
    ("performance", "{s} takes forever to load {t}", None),
    ("performance", "huge lag on {s} servers {t}", "games"),
    ("performance", "{s} running painfully slow, pages take minutes", None),
    ("performance", "requests to {s} timing out, latency through the roof", "cloud"),
    ("performance", "{s} video keeps freezing and buffering every 10 seconds", None),
    ("payments", "{s} payment failed {t}", None),
    ("payments", "can't transfer money on {s}", "bank"),
    ("payments", "{s} transfers failing {t}", "bank"),
    ("payments", "my card keeps getting declined and {s} says it's a system error", "bank"),
    ("payments", "{s} checkout broken, can't pay", "shop"),
    ("payments", "payment won't go through on {s} {t}", None),
    ("payments", "{s} not processing payments {t}", "payments"),
    ("payments", "can't send money on {s}, error every time", "payments"),
    ("payments", "deposit not showing and {s} app says unavailable", "bank"),
    ("payments", "{s} down? cant pay for anything", "payments"),
    ("payments", "card payments not working at any store, {s} issue?", "bank"),
    ("other", "something is wrong with {s} {t}", None),
    ("other", "{s} is having problems {t}", None),
    ("other", "{s} having technical difficulties again", None),
    ("other", "what happened to {s}? it's all broken", None),
]

# Support-desk style reports (to a brand's help account) of something technically broken.
OUTAGE += [
    ("app", "@{h}Support your app shows error code 0x80070 every time I try to {do}", None),
    ("app", "@{h}Help the website keeps saying 'page not found' when I try to {do}", None),
    ("app", "@{h} hi, the order button does nothing when I click it. tried two browsers", "shop"),
    ("app", "@{h} booking page freezes at the payment step, tried for an hour", "airline"),
    ("app", "@{h} app says my boarding pass can't be displayed. help", "airline"),
    ("app", "the {s} app logs me out and then shows a blank screen, any fix?", None),
    ("app", "since the last update {s} won't open on my phone at all", None),
    ("app", "all my saved items disappeared from {s} and the page won't refresh", None),
    ("app", "{s} autoplay is broken and the player shows an error", "streaming"),
    ("app", "@{h} the new iOS update broke {s}, crashes instantly", None),
    ("app", "@{h} getting 'something went wrong, try again later' for 2 days now", None),
    ("app", "@{h} your site has been timing out all morning, can't get to my account", None),
    ("app", "the {s} website is completely unusable right now, nothing loads", None),
    ("app", "{s} updates failing with an error every time", None),
    ("messaging", "@{h} I'm not getting the verification email, tried 5 times", None),
    ("messaging", "@{h} my texts show 'not delivered' since this morning", "telco"),
    ("messaging", "@{h} push notifications stopped working after the update", None),
    ("messaging", "voicemail isn't working on my {s} line, callers get an error", "telco"),
    ("access", "@{h} the password reset link says expired the second I click it", None),
    ("access", "@{h} I can't sign in, it says my account doesn't exist. it does", None),
    ("access", "@{h} login loops back to the sign in page every time", None),
    ("access", "{s} keeps rejecting my login code, locked out for hours", None),
    ("performance", "@{h} the site just buffers forever when I try to {do}", None),
    ("performance", "@{h} internet crawling at 1mbps in the evenings", "telco"),
    ("performance", "constant lag and packet loss on {s} tonight", "games"),
    ("connectivity", "@{h} no broadband in {p} since yesterday, router shows red light", "telco"),
    ("connectivity", "@{h} keep dropping calls in my own house, it's been weeks", "telco"),
    ("connectivity", "{s} cable box says no signal on every channel", "telco"),
    (
        "payments",
        "@{h} my card was declined online but there's money in the account. app says error",
        "bank",
    ),
    (
        "payments",
        "@{h} the transfer has been stuck 'in progress' for a week and the site errors",
        "payments",
    ),
    ("payments", "@{h} checkout fails at the last step with an error", "shop"),
]

# People living through a power (or water, gas) outage, in their own words.
OUTAGE += [
    ("connectivity", "we're having a power outage right now, phone at 10%", None),
    ("connectivity", "this power outage is ruining my whole evening", None),
    ("connectivity", "day 2 of this power outage and the food is going bad", None),
    ("connectivity", "power outage at work so we're all just sitting here", None),
    ("connectivity", "my house has a power outage and the generator won't start", None),
    ("connectivity", "power keeps cutting out every few minutes here in {p}", None),
    ("connectivity", "another power outage?? we just got it back an hour ago", None),
    ("connectivity", "power outage in the whole building, elevator stuck", None),
    ("connectivity", "thanks to the power outage I can't work from home today", None),
    ("connectivity", "@{h} we have no gas supply on our street since yesterday", "power"),
    ("connectivity", "@{h} still no power here, your map says restored but it isn't", "power"),
    ("connectivity", "load shedding again, no lights in {p} since 6pm", "power"),
    ("connectivity", "power outage + no mobile network = completely cut off", None),
]

# Complaint-form subject lines (short, no punctuation) about broken service.
OUTAGE_SUBJECTS: list[tuple[str, str]] = [
    ("connectivity", "Internet keeps disconnecting"),
    ("connectivity", "Intermittent internet service"),
    ("connectivity", "Service interruption"),
    ("connectivity", "Internet outage for 3 days"),
    ("connectivity", "Cable and internet down"),
    ("connectivity", "No service for a week"),
    ("connectivity", "Frequent outages"),
    ("connectivity", "Loss of service"),
    ("connectivity", "Phone service not working"),
    ("connectivity", "Repeated service outages"),
    ("connectivity", "Internet drops every night"),
    ("connectivity", "No dial tone"),
    ("connectivity", "TV signal loss"),
    ("connectivity", "Unreliable internet connection"),
    ("connectivity", "Constant disconnects"),
    ("connectivity", "Service keeps going out"),
    ("performance", "Slow internet"),
    ("performance", "Slow speeds"),
    ("performance", "Internet speed throttling"),
    ("performance", "High ping all evening"),
    ("performance", "Not getting the speed I pay for"),
    ("performance", "Very slow connection"),
    ("performance", "Throttled streaming"),
    ("performance", "Latency issues"),
    ("app", "Email service not working"),
    ("app", "Website errors"),
    ("app", "On demand not working"),
    ("app", "Streaming app broken"),
    ("messaging", "Not receiving email"),
    ("access", "Cannot log into account"),
    ("access", "Locked out of online account"),
    ("payments", "Online payment system failure"),
    ("other", "Equipment failure"),
    ("other", "Service failure"),
]
COMPLAINT_SUBJECTS: list[str] = [
    "Billing dispute",
    "Price increase",
    "Hidden fees",
    "Poor customer service",
    "Customer service",
    "Cancellation fee",
    "Contract dispute",
    "Refund not received",
    "Credit not applied",
    "False advertising",
    "Bait and switch",
    "Unauthorized charges",
    "Late fee",
    "Installation never happened",
    "Technician no show",
    "Deceptive sales",
    "Equipment return fee",
    "Promotional rate not honored",
    "Billing error",
    "Rude representative",
    "Charged for cancelled service",
    "Modem rental fee",
]
OTHER_SUBJECTS: list[str] = [
    "Cable TV",
    "Phone and internet",
    "Internet service",
    "Account question",
    "Service change",
    "Moving service",
    "New service",
    "Business account",
    "Question about plan",
    "Upgrade request",
    "Service options",
    "TV package",
]

COMPLAINT: list[tuple[str, str | None]] = [
    ("{s} charged me twice this month", None),
    ("why did {s} raise the price again", None),
    ("{s} overcharged me and won't refund", None),
    ("still waiting on my refund from {s}", None),
    ("been on hold with {s} for 2 hours", None),
    ("{s} customer service is the worst", None),
    ("the {s} agent was so rude to me", None),
    ("{s} cancelled my flight and won't rebook me", "airline"),
    ("flight delayed 4 hours and {s} gave us nothing", "airline"),
    ("{s} lost my luggage", "airline"),
    ("my bag got damaged on my {s} flight", "airline"),
    ("{s} delivery is 3 days late", "shop"),
    ("my {s} order never arrived", "shop"),
    ("{s} delivered the wrong item", "shop"),
    ("food from {s} came cold again", "shop"),
    ("the driver was an hour late. {s} please", "shop"),
    ("{s} bill went up $20 for no reason", "telco"),
    ("{s} added fees I never agreed to", None),
    ("{s} keeps sending me spam emails", None),
    ("{s} suspended my account for no reason", None),
    ("{s} banned my account and won't explain why", None),
    ("hate the new {s} update, the layout is awful", None),
    ("why does {s} keep changing things nobody asked for", None),
    ("{s} ads are getting ridiculous", None),
    ("{s} support never replies to emails", None),
    ("paying for premium and {s} still shows ads", None),
    ("{s} won't let me cancel my subscription", None),
    ("{s} locked my card for 'fraud' when it was me. took 3 calls to fix", "bank"),
    ("{s} charging $35 overdraft fee is theft", "bank"),
    ("{s} technician never showed up for the appointment", "telco"),
    ("{s} contract is a scam, hidden fees everywhere", "telco"),
    ("{s} power bill doubled this winter", "power"),
    ("my {s} bill is insane this month", "power"),
    ("{s} promised a callback 3 days ago. nothing", None),
    ("the headphones i bought from {s} broke after a week", "shop"),
    ("{s} sent me a used phone as new", "shop"),
    ("{s} gate agent was incredibly rude", "airline"),
    ("no legroom on {s}, never again", "airline"),
    ("{s} removed my favourite show", "streaming"),
    ("{s} price hike again?? cancelling", "streaming"),
    ("{s} keeps pushing notifications I turned off", None),
    ("I want to talk to a human, not a {s} bot", None),
    ("{s} refund takes 10 business days? really", None),
    ("{s} charged my card after I cancelled", None),
    ("{s} please stop calling me", None),
    ("waited 45 mins on chat and {s} closed it", None),
    ("{s} has the worst customer support I've ever dealt with", None),
    ("{s} shipping costs more than the item", "shop"),
    ("my package from {s} arrived crushed", "shop"),
    ("{s} still hasn't fixed the billing error from last month", None),
    ("{s} rep hung up on me", None),
    ("{s} denied my claim with no explanation", None),
    ("{s} moved my seat without telling me", "airline"),
    ("{s} the new data cap is a joke", "telco"),
    ("so disappointed with {s} lately", None),
    ("{s} quality has gone downhill", None),
    ("{s} you owe me an apology and a refund", None),
]

OTHER: list[tuple[str, str | None]] = [
    # news and official updates about outages (by organisations, not the people affected)
    ("{s} outage reported across {p}, thousands affected", None),
    ("BREAKING: {s} suffers major outage, company says it is investigating", None),
    ("Reports: {s} users in {p} experiencing problems, according to Downdetector", None),
    (
        "We're aware some customers are having trouble accessing {s}. Our team is investigating.",
        None,
    ),
    ("We are investigating reports of degraded performance. Updates to follow.", None),
    ("Update: the issue affecting {s} has been resolved. Thanks for your patience.", None),
    ("Service has been restored for all {s} customers.", None),
    ("{s} says the outage was caused by a configuration change", None),
    ("{s} outage: what we know so far", None),
    ("Status update: {s} services are operating normally", None),
    ("Hi, sorry for the trouble! Please DM us your account details and we'll take a look.", None),
    ("Thanks for reaching out. Can you DM us your postcode so we can check for outages?", None),
    ("Crews are working to restore power to about 3,000 customers in {p}", "power"),
    ("Power has been restored to most customers in {p}, {s} says", "power"),
    ("{s}: estimated restoration time for the {p} outage is 6pm", "power"),
    ("More than 20,000 without power in {p} after the storm", "power"),
    ("Storm warning: strong winds may cause power outages tonight. Charge your devices.", None),
    ("Officials say a power outage forced the evacuation of the mall", None),
    ("Tips for staying safe during a power outage this winter", None),
    ("How to prepare your home for a power outage", None),
    ("A planned outage will affect {p} on Sunday from 8am to noon for maintenance", "power"),
    ("Scheduled maintenance: {s} will be unavailable Saturday 2-4am", None),
    ("Power outage map: check your area here", "power"),
    ("Trains running 15 minutes late due to a signal failure near the station", None),
    ("Traffic lights out at Main St due to power outage, police directing traffic", None),
    ("The {s} outage last week cost businesses millions, analysts estimate", None),
    ("Good thread on why the {s} outage happened, worth a read", None),
    ("Our engineers have identified the cause and a fix is rolling out.", None),
    ("{s} back up for me now, thanks for the quick fix", None),
    ("working again! thanks {s}", None),
    ("power is back on, thank you to the crews out there 🙏", "power"),
    ("internet back! finally", "telco"),
    ("remember when {s} went down for a whole day back in 2021? wild", None),
    ("a buyer's guide to home generators for outages", None),
    ("Generator sale this week only! Be ready for the next outage.", None),
    ("grid operator warns of possible rolling blackouts this summer", None),
    # chatter: down / crash / slow / broken used for other things
    ("down to earth guy, love him", None),
    ("crashed on the couch after that shift", None),
    ("anyone down for pizza tonight?", None),
    ("I'm down, let's go", None),
    ("feeling kinda down today", None),
    ("we were down 2-0 at halftime and still won!!", None),
    ("stocks down 3% today", None),
    ("the market crashed again lol", None),
    ("car crash on I-95, avoid the area", None),
    ("sit down and listen to this album", None),
    ("calm down it's just a game", None),
    ("slow down, you're doing great", None),
    ("upside down cake turned out perfect", None),
    ("crash course in statistics starts monday", None),
    ("my brain is crashing, need coffee ☕", None),
    ("the party was a crash landing lol", None),
    ("downloading the new season now", None),
    ("went down to the beach this morning", None),
    ("breaking down the stats from last night's game", None),
    ("this song is so slow and beautiful", None),
    ("my laptop is broken, dropped it in the pool", None),
    ("the kids broke the vase again", None),
    ("my phone screen cracked when I dropped it", None),
    ("the wifi password at the cafe is on the menu", None),
    ("zoom meeting in 5", None),
    ("teams call at 3 then lunch", None),
    ("just joined {s}, any tips?", None),
    ("how do I change my email address on {s}?", None),
    ("does {s} work in Canada?", None),
    ("is there a student discount for {s}?", None),
    ("what's the best alternative to {s}?", None),
    ("how do I export my data from {s}?", None),
    ("{s} what time does the store open?", "shop"),
    ("can I bring a stroller on {s} flights?", "airline"),
    ("does {s} have wifi on transatlantic flights?", "airline"),
    ("love the new {s} feature!", None),
    ("{s} is honestly the best app", None),
    ("thanks {s} for the quick help today 👍", None),
    ("shoutout to {s} support, sorted in 5 mins", None),
    ("just booked my trip with {s}, so excited", "airline"),
    ("finally switched to {s}", None),
    ("watching a movie on {s} tonight 🍿", "streaming"),
    ("new playlist on {s}, check it out", "streaming"),
    ("just hit level 50 in {s}", "games"),
    ("{s} is hiring engineers in {p}", None),
    ("{s} announces new pricing plans for 2025", None),
    ("{s} earnings call today at 4pm", None),
    ("sign up for {s} and get 3 months free", None),
    ("use my {s} referral code for $10", None),
    ("reminder: update your {s} password regularly", None),
    ("pro tip: turn on 2FA for {s}", None),
    ("our office wifi is blazing fast today", None),
    ("the power of friendship lol", None),
    ("power nap then back to work", None),
    ("that was a power move", None),
    ("sleeping through the storm, so cozy", None),
    ("no internet for a week on holiday and it was great", None),
    ("digital detox: no phone this weekend", None),
    ("the server at the restaurant was lovely", None),
    ("need a good router recommendation", None),
    ("which bank has the best savings rate right now?", None),
    ("just paid off my credit card 🎉", None),
    ("my email newsletter goes out tomorrow", None),
    ("happy friday everyone", None),
    ("can't wait for the weekend", None),
    ("can't stop listening to this song", None),
    ("can't believe it's already december", None),
    ("not working this weekend, finally a break", None),
    ("not sure what to cook tonight", None),
    ("no signal in the mountains but the view was worth it", None),
    ("the new {s} logo looks nice", None),
    ("outage? no, just me forgetting to pay the bill lol", None),
]


# Complaints that use outage-like words ("can't", "stuck", "not working", "connection",
# "issue") for things that are not a technical failure.
COMPLAINT += [
    ("can't get anyone on the phone at {s}, 2 hours on hold", None),
    ("missed my connection because {s} was late again", "airline"),
    ("@{h} still haven't heard anything back about my issue", None),
    ("nobody at {s} can help me, they keep transferring me", None),
    ("the zipper on my {s} jacket broke after two wears", "shop"),
    ("my {s} headphones stopped working after a month, want a replacement", "shop"),
    ("the blender from {s} arrived broken", "shop"),
    ("{s} store had no staff and we couldn't get any help", "shop"),
    ("{s} closed my account without warning", None),
    ("{s} suspended my account because of a 'policy violation', no details", None),
    ("the {s} app now forces me to watch ads. awful change", None),
    ("{s} removed the feature I use most. why", None),
    ("@{h} your staff were rude and couldn't answer a simple question", None),
    ("@{h} my order was cancelled with no explanation", "shop"),
    ("@{h} you charged me for a seat I never got", "airline"),
    ("I have been a {s} customer for 10 years and this is how you treat me", None),
    ("{s} raised my bill again, the price for power is a joke", "power"),
    ("{s} estimated my meter reading wrong AGAIN", "power"),
    ("why is {s} asking for a deposit to start service", None),
    ("{s} customer care promised a credit and never applied it", None),
]

# Organisations announcing their own or others' outages (not a person affected).
OTHER += [
    ("Our store is closed today due to a power outage. Sorry for the inconvenience!", None),
    ("{s} is working on a large power outage in {p}. Crews are on site.", "power"),
    ("Power outages reported in {p} after strong winds, {s} says", "power"),
    ("There's no such thing as a 'minor' outage for hospitals, says expert", None),
]

# Posts that mention outages without the author suffering one: news, official updates,
# general statements, hypotheticals, advice, politics, jokes.
OTHER += [
    ("Power outage: 1,200 premises affected in {p}. ETA for restoration 4:30pm", "power"),
    (
        "If your neighbour has power and you don't, please report your outage at our website",
        "power",
    ),
    ("We're sorry you're without power. Please DM us your address and we'll check it", "power"),
    ("Dear customer, we regret the inconvenience. Please share your account number via DM", None),
    ("{s} says a planned power outage is needed to reduce wildfire risk", "power"),
    ("Regulators criticised {s} for how it handled last month's power outages", "power"),
    ("Trains delayed due to a power outage at the signal box", None),
    ("The hospital's backup generators kicked in during the power outage, officials say", None),
    ("Opinion: our grid can't keep up, power outages will only get worse", None),
    ("the government should invest in the grid so we stop having outages", None),
    ("power outages in {p} are a political issue now, thread", None),
    ("our neighbourhood always had outages when I was a kid lol", None),
    ("Wedding went ahead by candlelight after a power outage, what a story", None),
    ("Fun fact: most power outages are caused by animals", None),
    ("We're live! Join our webinar on outage management for utilities", None),
    ("New AI tool helps {s} predict where storms will cause outages", "power"),
    ("After the 2019 outage, {s} rebuilt its network", None),
    ("I wrote a blog post about lessons from the {s} outage", None),
    ("{s} stock falls after last week's outage", None),
    ("Here's how to check if {s} is down: visit their status page", None),
    ("{s} status page: all systems operational", None),
    ("Incident resolved: users may have seen errors between 10:02 and 10:40 UTC", None),
    ("We have identified the issue and are rolling out a fix. Next update in 30 minutes.", None),
    ("Maintenance complete, {s} is back to normal", None),
    ("I'm doing a 'power outage' themed party lol", None),
    ("that song is a total power outage banger", None),
    ("power outage GIF incoming", None),
    ("the game crashed? no the fans crashed the pitch lol", None),
    ("candles, board games and snacks ready in case the storm knocks the power out", None),
    ("my phone is at 5%, need a charger before the meeting", None),
    ("how do I reset my {s} router to factory settings?", "telco"),
    ("@{h} is there a way to add my frequent flyer number after booking?", "airline"),
    ("@{h} thanks, that fixed it!", None),
    ("@{h} great, thank you so much for the help", None),
    ("@{h} yes I sent the DM", None),
    ("@{h} ok will do", None),
    ("just finished a 12 hour shift, going to crash early", None),
    ("love how quiet it is when the internet is off on purpose", None),
]


# Software and device faults (LABELING.md: a personal device fault is an outage when the
# software or service fails, not when the hardware is physically damaged), with the
# non-outage posts that share their words. {dev} is a device, {sw} an app or system.
DEVICES = [
    "laptop",
    "phone",
    "tablet",
    "printer",
    "smart TV",
    "router",
    "console",
    "smartwatch",
    "fitness tracker",
    "camera",
    "PC",
    "Chromebook",
    "smart speaker",
    "e-reader",
]
SOFTWARE = [
    "Windows",
    "the latest update",
    "iOS 17",
    "Android",
    "the firmware update",
    "the driver",
    "the new version",
    "the companion app",
    "macOS",
    "the antivirus",
    "the game launcher",
]
DEVICE_OUTAGE: list[tuple[str, str]] = [
    ("other", "my {dev} won't boot since {sw}, stuck on the logo"),
    ("other", "{sw} broke my {dev}, it just restarts over and over"),
    ("other", "@{h} my {dev} is stuck on the update screen at 0%. what can I do?"),
    ("other", "after {sw} my {dev} no longer recognises my headphones"),
    ("app", "the app on my {dev} won't sync anymore, says sync error"),
    ("app", "my {dev} won't sync with the app since yesterday"),
    ("app", "@{h} {sw} and now nothing on my {dev} opens, all apps close instantly"),
    ("app", "@{h} your software keeps freezing my {dev}, any fix?"),
    ("app", "{sw} keeps crashing on my {dev}, reinstalled twice"),
    ("app", "settings on my {dev} reset themselves after {sw}, and the app won't start"),
    ("app", "@{h} still not fixed. the {dev} app shows an error every time i open it"),
    ("app", "@{h} how long will this issue last? the {dev} app hasn't worked for 3 days"),
    ("connectivity", "my {dev} won't connect to wifi since {sw}"),
    ("connectivity", "@{h} {dev} says no network connection but everything else is online"),
    ("connectivity", "bluetooth stopped working on my {dev} after {sw}"),
    ("access", "{sw} logged me out on my {dev} and now it won't accept my password"),
    ("messaging", "my {dev} stopped getting notifications after {sw}"),
    ("performance", "{sw} made my {dev} painfully slow, everything lags"),
    ("payments", "my {dev} won't let me pay, the wallet app shows an error"),
]
DEVICE_COMPLAINT: list[str] = [
    "my {dev} screen cracked after a week, want a replacement",
    "@{h} the {dev} I ordered arrived with a dent, not happy",
    "the battery on my {dev} is terrible compared to the ad",
    "@{h} I sent my {dev} for repair 3 weeks ago and still nothing",
    "they charged me for fixing my {dev} under warranty",
    "@{h} you sent the wrong {dev} model and now want a restocking fee",
    "the {dev} is overpriced for what it does",
    "my {dev} charger stopped working, the cable frayed after a month",
]
DEVICE_OTHER: list[str] = [
    "how do I update the firmware on my {dev}?",
    "@{h} does the new {dev} support dual SIM?",
    "finally got a new {dev}, loving it so far",
    "{sw} is out today with new features for your {dev}",
    "can't decide which {dev} to buy, any tips?",
    "I can't believe how fast this {dev} charges",
    "@{h} thanks, the reset fixed my {dev}!",
    "tip: restart your {dev} once a week",
]


def _device_posts(rng: random.Random, per_template: int) -> list[dict[str, str]]:
    """Posts about software/device faults and their non-outage look-alikes."""

    def fill(template: str) -> str:
        _, service = _svc(rng)
        handle = "".join(ch for ch in service.title() if ch.isalnum())
        text = template.format(dev=rng.choice(DEVICES), sw=rng.choice(SOFTWARE), h=handle)
        return text[0].upper() + text[1:] if rng.random() < 0.5 else text

    rows = []
    for symptom, template in DEVICE_OUTAGE:
        for _ in range(per_template):
            text = _decorate(fill(template), rng, "bad", "outage")
            rows.append({"text": text, "label": "outage", "symptom": symptom})
    for template in DEVICE_COMPLAINT:
        for _ in range(per_template):
            text = _decorate(fill(template), rng, "bad", "complaint")
            rows.append({"text": text, "label": "complaint", "symptom": ""})
    for template in DEVICE_OTHER:
        for _ in range(per_template):
            text = _decorate(fill(template), rng, "ok")
            rows.append({"text": text, "label": "other", "symptom": ""})
    return rows


def _decorate(text: str, rng: random.Random, mood: str, label: str = "other") -> str:
    if rng.random() < 0.25:
        text = rng.choice(OPENERS) + text
    if mood == "bad" and rng.random() < 0.35:
        text += rng.choice(CLOSERS)
    if rng.random() < 0.2:
        text += " " + (
            rng.choice(HASH_TAGS)
            if mood == "bad"
            else rng.choice(["#life", "#tbt", "#news", "#tech", "#weekend", "#mood", "#update"])
        )
    if rng.random() < 0.25:
        text += " " + rng.choice(EMOJI_BAD if mood == "bad" else EMOJI_OK)
    r = rng.random()
    if r < 0.3:
        text = text.lower()
    elif r < 0.35:
        text = text.upper()
    if rng.random() < 0.12:
        text = _typo(text, rng)
    if rng.random() < 0.1:
        text = text.replace("?", "???").replace("!", "!!!")
    if rng.random() < 0.08:
        text = text.replace("so ", "sooo ").replace("down", "dooown").replace("please", "pleeease")
    if rng.random() < 0.08:
        text += " https://t.co/" + "".join(rng.choice("abcdefXYZ0123456789") for _ in range(10))
    return text


def _typo(text: str, rng: random.Random) -> str:
    swaps = [
        ("can't", "cant"),
        ("won't", "wont"),
        ("isn't", "isnt"),
        ("you", "u"),
        ("please", "pls"),
        ("are", "r"),
        ("because", "bc"),
        ("anyone", "any1"),
        ("internet", "interwebs"),
        ("really", "rly"),
        ("something", "smth"),
    ]
    a, b = rng.choice(swaps)
    if a in text:
        return text.replace(a, b)
    words = text.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 4 and w.isalpha():
        j = rng.randrange(1, len(w) - 1)
        words[i] = w[:j] + w[j + 1 :]
    return " ".join(words)


def _fill(template: str, kind: str | None, rng: random.Random) -> str:
    kind, service = _svc(rng, kind)
    actions, noun = THINGS[kind]
    handle = "".join(ch for ch in service.title() if ch.isalnum())
    text = template.format(
        s=service,
        t=rng.choice(TIMES),
        do=rng.choice(actions),
        app=noun,
        p=rng.choice(PLACES),
        h=handle,
    )
    if "@" not in text and rng.random() < 0.3:
        mention = rng.choice(HANDLE_STYLE).format(h=handle)
        text = f"{mention} {text}" if rng.random() < 0.7 else f"{text} {mention}"
    return text


def _subject_variants(subject: str, rng: random.Random) -> list[str]:
    """A complaint-form subject line as written by a few different people."""
    isp = rng.choice(SERVICES["telco"])
    return [
        subject,
        f"{isp} {subject.lower()}",
        f"{subject} - {isp}",
        f"{subject} ({rng.choice(SERVICES['telco'])})",
    ]


def generate(seed: int = 7, per_template: int = 6) -> list[dict[str, str]]:
    """Seeded labelled posts: ``text, label, symptom`` dicts, duplicates removed."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for symptom, template, kind in OUTAGE:
        for _ in range(per_template + 2):
            text = _decorate(_fill(template, kind, rng), rng, "bad", "outage")
            rows.append({"text": text, "label": "outage", "symptom": symptom})
    for template, kind in COMPLAINT:
        for _ in range(per_template + 2):
            text = _decorate(_fill(template, kind, rng), rng, "bad", "complaint")
            rows.append({"text": text, "label": "complaint", "symptom": ""})
    for template, kind in OTHER:
        n = per_template if "{" in template else 3
        for _ in range(n):
            mood = "bad" if rng.random() < 0.2 else "ok"
            text = _decorate(_fill(template, kind, rng), rng, mood)
            rows.append({"text": text, "label": "other", "symptom": ""})
    for symptom, subject in OUTAGE_SUBJECTS:
        for variant in _subject_variants(subject, rng):
            rows.append({"text": variant, "label": "outage", "symptom": symptom})
    for subject in COMPLAINT_SUBJECTS:
        for variant in _subject_variants(subject, rng):
            rows.append({"text": variant, "label": "complaint", "symptom": ""})
    for subject in OTHER_SUBJECTS:
        for variant in _subject_variants(subject, rng):
            rows.append({"text": variant, "label": "other", "symptom": ""})
    rows += _device_posts(random.Random(seed + 1), per_template)
    seen: set[str] = set()
    unique = []
    for row in rows:
        key = row["text"].lower()
        if key not in seen:
            seen.add(key)
            unique.append(row)
    rng.shuffle(unique)
    return unique


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("data/seed_posts.csv"))
    args = parser.parse_args()
    rows = generate(args.seed)
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "label", "symptom"])
        writer.writeheader()
        writer.writerows(rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    print(f"wrote {len(rows)} posts to {args.out}: {counts}")


if __name__ == "__main__":
    main()
