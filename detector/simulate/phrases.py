"""Templates of complaint posts: outage reports by kind of service and symptom, and
complaints that are not outages (billing, support, policy, unwanted changes).

All phrasings were written for this project. Slots in braces are filled by
:mod:`detector.simulate.render`: ``{S}`` a surface form of the service, ``{S2}`` a
second service, ``{P}`` one of its products, and vocabulary slots from
:data:`VOCAB` (``{since}``, ``{bad}``, ``{n}``, ...).

Symptoms follow the labelling guide: access, connectivity, messaging, app,
performance, payments.

>>> sorted(OUTAGE_NAMED)
['chat', 'email', 'music', 'payments', 'social', 'streaming', 'telecom', 'video']
>>> all("{S}" in t for sym in OUTAGE_NAMED.values() for ts in sym.values() for t in ts)
True
>>> any("{S}" in t for sym in OUTAGE_UNNAMED.values() for ts in sym.values() for t in ts)
False
"""

from __future__ import annotations

VOCAB: dict[str, tuple[str, ...]] = {
    "since": (
        "since this morning",
        "for the last hour",
        "since lunch",
        "all afternoon",
        "for like 40 minutes now",
        "since about 2",
        "since I sat down",
        "for ages",
        "for the past half hour",
        "since forever",
        "today",
        "right now",
    ),
    "bad": ("😡", "😤", "🙄", "😩", "😭", "🤬", "💀", "😫", "🫠", "😒", "🤦", "🤦‍♀️", "😑", "🔥🔥"),
    "lol": ("😂", "🤣", "💀", "😭", "😂😂", "lmao", "lol", "haha"),
    "good": ("😍", "🙌", "❤️", "🔥", "👏", "✨", "💯", "🥰", "😎", "👌"),
    "again": ("again", "AGAIN", "again??", "once again", "yet again", "again today"),
    "ugh": (
        "ugh",
        "seriously",
        "come on",
        "great",
        "fantastic",
        "cool cool cool",
        "oh good",
        "brilliant",
        "wonderful",
        "just perfect",
        "awesome",
        "sigh",
    ),
    "q": (
        "anyone else?",
        "is it just me?",
        "anyone??",
        "or is it just me?",
        "is this happening to everyone?",
        "anybody else getting this?",
        "same for you?",
        "who else?",
    ),
    "boss": ("my boss", "my manager", "a client", "the client", "HR", "my team lead", "finance"),
    "meeting": (
        "standup",
        "a client call",
        "my 2pm",
        "the all-hands",
        "an interview",
        "the board meeting",
        "a demo",
        "the weekly sync",
    ),
    "err": (
        "a 500 error",
        "error 503",
        "'Something went wrong'",
        "'Service unavailable'",
        "'We couldn't connect'",
        "'Try again later'",
        "a blank white page",
        "an endless spinner",
        "'temporarily unavailable'",
        "error code 0x8004",
    ),
    "down": ("down", "down", "down", "dooown", "DOWN", "down down", "broken", "dead", "busted"),
    "work": ("work", "the office", "my job", "the day job"),
    "device": ("laptop", "phone", "iPad", "desktop", "work laptop", "Mac", "PC"),
    "thing": ("report", "invoice", "contract", "deck", "spreadsheet", "proposal", "quote"),
    "when": (
        "tonight",
        "this morning",
        "today",
        "this weekend",
        "at 2am",
        "on my lunch break",
        "on the train",
        "before bed",
        "all day",
        "yesterday",
    ),
    "person": (
        "my mum",
        "my dad",
        "my sister",
        "my roommate",
        "my kid",
        "grandma",
        "my partner",
        "my coworker",
        "my neighbour",
        "my brother",
        "my best friend",
    ),
    "genre": (
        "true crime",
        "cooking",
        "anime",
        "nature",
        "space",
        "k-drama",
        "stand-up",
        "history",
        "reality dating",
        "sci-fi",
    ),
    "feeling": (
        "obsessed",
        "hooked",
        "not okay",
        "so happy",
        "emotional",
        "impressed",
        "shook",
        "in love",
    ),
    "food": ("pizza", "ramen", "tacos", "pancakes", "curry", "a burrito", "dumplings", "toast"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "the weekend"),
}

# --- outage reports that name the service, by kind and symptom -----------------------------

_EMAIL = {
    "access": (
        "can't log into {S} {since} {bad}",
        "{S} keeps asking for my password then says it's wrong. it is NOT wrong",
        "locked out of my {S} mailbox, sign-in just spins forever",
        "getting {err} every time I try to sign in to {S}",
        "is {S} down? can't get into my inbox at all",
        "why can't I open my email in {S} {again}",
        "{S} login loop: password, MFA, back to the start. repeat forever",
        "authentication errors on {S} on every device I own {bad}",
        "{S} says my mailbox is unavailable. um, where did it go",
        "cannot access my {S} mailbox, tried 3 browsers",
        "anyone else locked out of {S}? whole office can't get in",
        "my {S} account won't let me in {since}, IT says it's not us",
        "the {S} sign in page just reloads itself {ugh}",
    ),
    "messaging": (
        "emails stuck in my outbox on {S} {since}",
        "{S} not sending anything, {n} messages sitting in the outbox",
        "haven't received a single email in {n} hours, {S} is that you?",
        "sent the {thing} to {boss} an hour ago and it still hasn't arrived. {S} {down}?",
        "{S}: mail not coming in, mail not going out. {ugh}",
        "calendar invites failing in {S}, {meeting} in 10 min and nobody got the invite",
        "{S} bouncing every email back with a server error",
        "is anyone else's {S} just... not delivering mail?",
        "{S} keeps saying 'sending' and never sends {bad}",
        "meeting invites from {S} aren't reaching anyone, rescheduled {meeting} twice",
        "incoming mail on {S} stopped at 2pm. nothing since. {q}",
        "{S} delivering emails {n} hours late today",
        "my replies in {S} vanish into the void. outbox full. {q}",
        "{S} calendar won't send or accept invites {since}",
        "so {S} is eating my emails now?? {boss} never got it",
        "shared mailbox on {S} not receiving anything {since}",
    ),
    "app": (
        "{S} web app just shows {err}",
        "{S} won't load, stuck on the loading screen {since}",
        "{S} keeps crashing when I open the calendar",
        "{err} on {S}. love that for me",
        "{S} opens then closes straight away on my {device}",
        "my {S} folders are all empty?? everything's gone from the view",
        "{S} calendar is completely blank today, where are my meetings",
        "{S} search is broken, returns nothing for anything",
        "{S} is {down} {q}",
        "{S} {down}?? {q}",
        "is {S} {down} for everyone or just me",
    ),
    "connectivity": (
        "{S} says 'Trying to connect...' for the last {n} minutes",
        "{S} disconnected and can't reach the server. wifi is fine, everything else works",
        "'cannot connect to server' on {S}. restarted twice {bad}",
        "{S} won't sync on my phone or {device}, keeps saying disconnected",
        "{S} lost connection to the mail server {since}",
    ),
    "performance": (
        "{S} is painfully slow today, 2 minutes to open one email",
        "{S} taking forever to sync {since}",
        "{S} timing out constantly {bad}",
        "{S} so slow I could hand deliver these emails faster",
        "everything in {S} lagging like crazy {since}",
    ),
}

_CHAT = {
    "messaging": (
        "messages not sending on {S} {since}",
        "{S} messages stuck with the little clock icon {bad}",
        "not getting any notifications from {S} {since}, missed {n} messages",
        "{S} only showing one tick on everything I send {q}",
        "my {S} messages just sit there unsent {ugh}",
        "can't send voice notes or pics on {S} {since}",
        "{S} not delivering messages, {boss} says they got nothing",
        "{S} keeps saying 'failed to send' {bad}",
        "group chat on {S} is frozen, nothing going in or out",
    ),
    "app": (
        "{S} won't open on my {device}",
        "{S} crashed {n} times in ten minutes {bad}",
        "{S} just white-screens when I launch it",
        "channels won't load in {S}, {err}",
        "{S} is {down} {q}",
        "{S} {down}?? {q}",
        "{S} keeps showing {err} {since}",
        "is {S} {down} or is it my {device}",
        "{S} {down}. productivity up {lol}",
        "{S} is {down} so technically I'm on a break {lol}",
    ),
    "connectivity": (
        "{S} stuck on 'connecting...' {since}",
        "{S} can't connect to anything {since}",
        "calls on {S} dropping every few minutes",
        "{S} keeps disconnecting me mid-conversation",
    ),
    "access": (
        "{S} signed me out and won't let me back in",
        "can't log into {S} {since}, verification code never comes",
        "{S} login broken for me {since} {bad}",
    ),
    "performance": (
        "{S} so laggy today it's unusable",
        "messages on {S} taking minutes to show up",
        "{S} is crawling {since} {bad}",
    ),
}

_VIDEO = {
    "connectivity": (
        "{S} call dropped for the {n}th time this morning",
        "kicked out of my {S} meeting {again} {bad}",
        "{S} keeps reconnecting every 30 seconds, can't hold a call",
        "{S} says my connection is unstable. my connection is fine, everything else works",
        "half the people in {meeting} got dropped from {S} at once",
    ),
    "app": (
        "{S} won't let me join the meeting, {err}",
        "{S} crashes as soon as I share my screen",
        "{S} {down}?? {meeting} starts in 5 {bad}",
        "is {S} {down}? nobody can get into {meeting}",
        "{S} app stuck on 'joining...' {since}",
    ),
    "performance": (
        "audio on {S} is robotic and the video keeps freezing",
        "{S} lagging so bad today, everyone sounds like a robot",
        "{S} video frozen for everyone on the call {q}",
    ),
    "access": ("can't sign in to {S} {since}", "{S} says my account doesn't exist?? {bad}"),
}

_SOCIAL = {
    "app": (
        "{S} feed won't refresh {since}",
        "'Couldn't refresh feed' on {S} {again} {bad}",
        "{S} keeps crashing when I open stories",
        "{S} is {down} {q}",
        "{S} {down}?? {q}",
        "is {S} {down}?? can't post anything",
        "{S} won't let me upload, {err}",
        "{S} {down} and I have nothing else to do {lol}",
    ),
    "access": (
        "{S} logged me out and won't let me back in",
        "can't log into {S}, says try again later {since}",
        "{S} keeps saying my password is wrong after it logged me out {bad}",
    ),
    "messaging": (
        "{S} DMs not sending {since}",
        "can't send or open messages on {S} {q}",
        "{S} notifications stopped completely {since}",
    ),
    "performance": (
        "{S} so slow, reels won't load at all",
        "{S} taking a full minute to load one story {bad}",
    ),
}

_STREAMING = {
    "app": (
        "{S} won't load on the TV {since}",
        "{S} gives me {err} every time I press play",
        "{S} app crashing on my {device} {bad}",
        "{S} is {down} {q}",
        "{S} {down}?? {q}",
        "is {S} {down}? just get a black screen",
        "{S} shows {err} on every device in the house",
    ),
    "performance": (
        "{S} buffering every 10 seconds {since}",
        "{S} stuck loading at 25% {again}",
        "{S} quality dropped to potato and keeps buffering {bad}",
        "{S} keeps dropping to the lowest quality {since}",
    ),
    "access": (
        "{S} logged me out of every device and won't take my password",
        "can't sign in to {S} {since} {bad}",
    ),
    "connectivity": (
        "{S} says no internet connection but my internet is fine",
        "{S} keeps saying offline even on wifi {q}",
    ),
}

_MUSIC = {
    "app": (
        "{S} won't play anything {since}, just skips to the next song",
        "{S} keeps crashing on my {device} {bad}",
        "{S} is {down} {q}",
        "{S} {down}?? {q}",
        "{S} says {err} when I open my playlists",
        "is {S} {down}? my playlists are all empty",
        "podcasts on {S} won't load at all {since}",
        "{S} {down} mid-workout, now I have to listen to my own thoughts {lol}",
    ),
    "performance": (
        "songs on {S} skip and stall every minute",
        "{S} takes forever to start a song {since}",
        "{S} buffering every song {since} {bad}",
    ),
    "access": (
        "{S} logged me out and the login page just errors",
        "can't sign in to {S} {since} {bad}",
    ),
    "connectivity": (
        "{S} says I'm offline but every other app works",
        "{S} can't connect {since} {q}",
    ),
}

_PAYMENTS = {
    "payments": (
        "{S} payment failing at checkout {since} {bad}",
        "can't send money on {S}, keeps erroring out",
        "{S} transfer stuck on pending {since}",
        "{S} checkout just spins and then {err}",
        "tried to pay with {S} {n} times, declined every time, card is fine",
        "{S} won't process any payment {q}",
        "my {S} withdrawal to the bank failed {again}",
    ),
    "access": (
        "can't log into {S} {since}",
        "{S} 2FA code never arrives so I can't get in {bad}",
        "{S} login page just loops {q}",
    ),
    "app": (
        "{S} app keeps showing {err}",
        "{S} is {down} {q}",
        "is {S} {down}? site won't load",
    ),
}

_TELECOM = {
    "connectivity": (
        "no signal on {S} {since} {bad}",
        "{S} internet {down} {again}",
        "SOS only on my phone, is {S} {down}?",
        "calls keep dropping on {S} {since}",
        "{S} fiber out in the whole building {q}",
        "no service at all with {S} {since}, can't call or text",
        "{S} outage in my area? router all red lights",
        "lost internet {since}, {S} {ugh}",
    ),
    "performance": (
        "{S} data crawling {since}, can't even load a web page",
        "{S} speeds down to nothing {bad}",
    ),
    "messaging": (
        "texts not going through on {S} {since}",
        "{S} not delivering my texts {q}",
    ),
    "app": ("the My {S} app is {down} {q}",),
}

OUTAGE_NAMED: dict[str, dict[str, tuple[str, ...]]] = {
    "email": _EMAIL,
    "chat": _CHAT,
    "video": _VIDEO,
    "social": _SOCIAL,
    "streaming": _STREAMING,
    "music": _MUSIC,
    "payments": _PAYMENTS,
    "telecom": _TELECOM,
}

# --- outage reports that name no service ---------------------------------------------------

OUTAGE_UNNAMED: dict[str, dict[str, tuple[str, ...]]] = {
    "email": {
        "access": (
            "can't get into my work email {since} {bad}",
            "can't access my email at all, {boss} is not going to be happy",
            "work email keeps rejecting my password. it's the right password",
            "locked out of my mailbox, IT helpdesk phone line is busy {lol}",
        ),
        "messaging": (
            "emails stuck in the outbox {since}. is it just me?",
            "none of my emails are sending {ugh}",
            "haven't gotten a work email in {n} hours, that's either a miracle or an outage",
            "calendar invites not going out at all, {meeting} is going to be empty",
            "our whole team can't send or receive email {since}",
            "mail not arriving, mail not leaving. work email is cooked",
            "sent the {thing} 3 times, {boss} got nothing {bad}",
        ),
        "app": (
            "email app just shows {err} {q}",
            "work email {down}?? {q}",
            "inbox won't even load {since}",
        ),
        "connectivity": ("email says disconnected on every device {q}",),
        "performance": ("work email so slow today it's basically carrier pigeon",),
    },
    "chat": {
        "messaging": (
            "messages not sending {since} {q}",
            "none of my messages are going through {ugh}",
        ),
        "app": ("chat app won't open {bad}",),
        "connectivity": ("chat app stuck on connecting {since}",),
        "access": ("can't log into my chat app {since}",),
        "performance": ("chat messages arriving 10 minutes late {q}",),
    },
    "video": {
        "connectivity": ("meeting dropped {again}, third time today {bad}",),
        "app": ("can't join any video calls {since} {q}",),
        "performance": ("video calls frozen and robotic all morning",),
        "access": ("can't sign into the meeting app {since}",),
    },
    "social": {
        "app": ("feed won't refresh on my socials {q}",),
        "access": ("got logged out of my account and can't get back in {bad}",),
        "messaging": ("DMs not sending {since} {q}",),
        "performance": ("reels loading so slow tonight {bad}",),
    },
    "streaming": {
        "app": ("streaming app keeps throwing {err} {q}",),
        "performance": ("everything buffering tonight {bad}",),
        "access": ("got signed out of the streaming app on the TV and can't sign back in",),
        "connectivity": ("TV says no connection but wifi works on my phone {ugh}",),
    },
    "music": {
        "app": ("music app won't play anything {since} {q}",),
        "performance": ("songs keep stopping halfway through {bad}",),
        "access": ("music app logged me out and won't let me back in",),
        "connectivity": ("music app says offline but wifi is fine {q}",),
    },
    "payments": {
        "payments": (
            "payment failing at every checkout {since} {q}",
            "transfer stuck pending {since} {bad}",
        ),
        "access": ("can't log into my payment account {since}",),
        "app": ("payment app just shows {err}",),
    },
    "telecom": {
        "connectivity": (
            "no internet {since} {bad}",
            "phone says SOS only {q}",
            "calls dropping every 2 minutes {since}",
            "internet {down} {again} {ugh}",
        ),
        "performance": ("internet crawling {since}",),
        "messaging": ("texts not going through {since}",),
        "app": ("carrier app won't load {q}",),
    },
}

#: Outage posts naming two services (e.g. a shared upstream failing).
OUTAGE_MULTI: tuple[str, ...] = (
    "{S} and {S2} both {down}? {q}",
    "is it a cloud provider thing? {S} and {S2} both broken for me",
    "first {S}, now {S2}. is the whole internet {down} today {bad}",
    "{S} not working, tried {S2} instead, also not working {ugh}",
    "both {S} and {S2} throwing errors {since}",
)

# --- complaints that are not outages ---------------------------------------------------------

COMPLAINT_GENERIC: tuple[str, ...] = (
    "{S} raised the price {again} and the product got worse",
    "been on hold with {S} support for {n} minutes {bad}",
    "{S} charged me twice this month and support just sends me help articles",
    "why does {S} keep moving everything around, leave the layout alone",
    "still waiting on a refund from {S}, {n} days now",
    "{S} customer service is useless, 3 chats, 3 different answers",
    "the new {S} update is so ugly {bad}",
    "{S} support closed my ticket without fixing anything {ugh}",
    "cancelled {S} and they still billed me",
    "{S} ads are getting out of hand",
    "who asked for this {S} redesign",
    "{S} why is there no way to talk to a human",
    "the {S} subscription tiers make no sense",
    "{S} pushing AI into everything, nobody asked",
)

COMPLAINT_BY_KIND: dict[str, tuple[str, ...]] = {
    "email": (
        "{S} spam filter keeps eating my newsletters",
        "the new {S} is worse than the old one, give me the classic view back",
        "{S} storage full {again}, they want more money for space",
        "{S} keeps nagging me to turn on features I don't want",
    ),
    "chat": (
        "new {S} update moved every button {ugh}",
        "{S} notifications settings are a maze",
        "{S} wants me to pay to see old messages now?",
    ),
    "video": (
        "the {S} 40 minute limit is a scam",
        "{S} keeps changing the meeting controls around",
    ),
    "social": (
        "{S} shows me nothing but ads now",
        "{S} algorithm hides every post from my friends",
        "{S} suspended my account for no reason and support won't answer",
    ),
    "streaming": (
        "{S} cancelled my favourite show after one season {bad}",
        "{S} removed half my list this month {ugh}",
        "the {S} password sharing crackdown is so annoying",
        "{S} price went up {again}, cancelling",
        "why does {S} autoplay trailers so loud",
    ),
    "music": (
        "{S} put lyrics behind the paywall now?",
        "{S} shuffle plays the same {n} songs, it's not random",
        "{S} price went up {again}, thinking about switching",
        "{S} keeps pushing podcasts I never asked for",
    ),
    "payments": (
        "{S} froze my account for no reason, 21 days hold on my money",
        "{S} fees are ridiculous now",
        "{S} dispute process is a joke {bad}",
        "{S} limited my account and wants 5 documents",
    ),
    "telecom": (
        "{S} bill went up $20 with no warning",
        "{S} technician never showed up, took the whole day off for nothing",
        "{S} keeps calling me to upgrade my plan {ugh}",
        "{S} store wait time {n} minutes",
        "{S} charged me an activation fee they said was waived",
    ),
}

__all__ = [
    "COMPLAINT_BY_KIND",
    "COMPLAINT_GENERIC",
    "OUTAGE_MULTI",
    "OUTAGE_NAMED",
    "OUTAGE_UNNAMED",
    "VOCAB",
]
