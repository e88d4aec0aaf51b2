"""Templates of posts that are not complaints: chatter about services, everyday
posts that mention no service, vendor status updates and media reports.

Chatter is where a classifier gets tested: praise, questions, ads, jokes, news,
and the ordinary senses of words an outage detector listens for ("down to
earth", "crashed on the couch", "the market crashed", "I'm dead 😂", "our teams
played well", "zoom in", "cut me some slack", "the stock exchange"). All
phrasings were written for this project; slots as in :mod:`detector.simulate.phrases`.

>>> all("{S}" in t for ts in CHATTER_BY_KIND.values() for t in ts)
True
>>> any("{S}" in t for t in EVERYDAY)
False
>>> sorted(STATUS)
['ack', 'mitigating', 'resolved', 'update']
"""

from __future__ import annotations

CHATTER_GENERIC: tuple[str, ...] = (
    # praise
    "love the new {S} update {good}",
    "ok {S} dark mode is actually really nice",
    "shoutout to {S} support for sorting my account out in {n} minutes {good}",
    "{S} just works and I appreciate that",
    "honestly {S} has been great lately",
    "the {S} team shipped something good for once {good}",
    "{S} on the new {device} is so smooth {good}",
    "{person} finally learned {S} and I'm so proud",
    "the {S} widget on my {device} is underrated",
    # questions
    "how do I turn off read receipts in {S}?",
    "does {S} have a family plan or am I making that up",
    "what's the shortcut to mute in {S}? asking for a friend",
    "can you use {S} on two phones at once?",
    "anyone know if {S} works on the {device}?",
    "is there a way to export everything from {S}?",
    "how do I get {person} set up on {S}? they keep calling me about it",
    "is {S} worth paying for or nah",
    "does {S} do student discounts?",
    "what's everyone's favourite {S} setting nobody knows about",
    # news, announcements, ads
    "{S} announces new features for business customers",
    "{S} reports record growth this quarter",
    "{S} is rolling out a redesigned settings page this month",
    "Get 3 months of {S} free with our student deal 👉 link in bio",
    "Try {S} Premium free for a month, cancel anytime 👉 link in bio",
    "Sponsored: level up your workflow with {S} integrations",
    "New blog post: {n} {S} tips you didn't know about",
    "{S} to raise prices in some markets next year, company says",
    "Webinar on {day}: getting the most out of {S} for small teams",
    "{S} hiring engineers in {n} cities, per a company post",
    # jokes and idioms: ordinary senses of down / crash / dead
    "{S} recommended me something so cursed I'm dead {lol}",
    "crashed on the couch with {S} after a {n} hour shift",
    "the market crashed and I'm still paying for {S} {lol}",
    "was on {S} till 3am, I'm dead tired today",
    "going down a rabbit hole on {S} instead of sleeping",
    "down to 2% battery and still on {S}",
    "slowing down {when}, just me and {S}",
    "my dog crashed out next to me while I was on {S} {good}",
    "the {S} notification sound lives in my head rent free {lol}",
    "dead serious, {S} changed how our family keeps in touch",
    "got {S} on {person}'s phone and now they're unstoppable {lol}",
    "{person} is SO down to earth about {S}, doesn't even have notifications on",
    "{person} sent me {n} messages about {S} while I was at the gym {lol}",
    "the way {person} uses {S} is a crime {lol}",
    "{S} {when} hits different",
    "turned off {S} notifications for a week, feeling {feeling}",
    "me: I'll sleep early. also me at 2am: {S} {lol}",
)

CHATTER_BY_KIND: dict[str, tuple[str, ...]] = {
    "email": (
        "inbox zero on {S} for the first time this year {good}",
        "set my out of office in {S}, see you in two weeks",
        "how do I add a signature with a logo in {S}?",
        "{S} rules saved my sanity, {n}0 newsletters auto-filed",
        "finally moved the family off {S} to one account",
        "pro tip: schedule send in {S} so your boss thinks you work weekends {lol}",
        "{n} unread in {S} and I refuse to look",
        "the {S} focused inbox is the only reason I survive {day}s",
        "{person} still forwards chain emails on {S} {lol}",
        "switched {S} to dark mode and my eyes thank me",
        "any good {S} add-ins for invoices?",
        "{S} calendar colour coding is my whole personality now",
        "IT says we're moving everyone to {S} next month, pray for us",
        "me pretending to work with {S} open {lol}",
        "our teams in London and Austin finally share one calendar on {S}",
        "just cleaned up {n}00 emails in {S}, feeling {feeling}",
    ),
    "chat": (
        "created a {S} channel just for dog pictures, best decision",
        "{person} just discovered stickers on {S} {lol}",
        "is there a way to schedule messages on {S}?",
        "our {S} is 90% memes and 10% work",
        "the family group on {S} at 7am is a lot {lol}",
        "{n} unread {S} messages and I'm choosing peace",
        "{person} sends voice notes on {S} that are {n} minutes long",
        "the {S} status 'in a meeting' is my favourite lie {lol}",
        "custom emoji on our {S} are getting out of hand {lol}",
        "muted every {S} group except the one about {food}",
        "{S} reactions are a love language",
        "left {S} on read {when}, sorry {person}",
        "breaking down the whole plan in {S} so nobody gets lost",
        "our teams in London and Austin finally talk to each other thanks to {S}",
        "me pretending to work with {S} open {lol}",
    ),
    "video": (
        "nice {S} background today, very professional",
        "forgot I was unmuted on {S} {lol}",
        "{S} breakout rooms for the workshop worked really well",
        "my cat joined the {S} call {again} {lol}",
        "{n} {S} calls today, my face hurts from smiling",
        "camera off on {S} because I'm eating {food}",
        "{person} learned the raise hand button on {S}, big day",
        "recorded my first class on {S}, went better than expected",
    ),
    "social": (
        "new post on {S}, go look {good}",
        "{S} reels are eating my whole evening",
        "just hit {n}k followers on {S}, thank you all {good}",
        "posted the beach pics on {S} finally",
        "why is everyone on {S} making {food} {when}",
        "{person} keeps sending me {S} reels about {food}",
        "{S} stories from the concert {when} {good}",
        "deleted {S} for a week, feeling {feeling}",
        "the {S} algorithm knows me too well, all {genre} all day",
        "{S} close friends list is my group chat now {lol}",
    ),
    "streaming": (
        "what should I watch on {S} {when}? need recommendations",
        "the new season on {S} is so good {good}",
        "this {genre} documentary on {S} is wild",
        "{S} autoplay got me watching a {genre} show at 2am",
        "the finale on {S} had me {feeling}",
        "{person} and I finished a whole {genre} series on {S} this weekend",
        "any good {genre} shows on {S}? I've seen everything",
        "{S} and {food}, that's the plan {when}",
        "the {S} skip intro button deserves an award",
        "watching {S} with {person} and they keep asking questions {lol}",
    ),
    "music": (
        "made a {S} playlist for the road trip {good}",
        "my {S} daily mix knows me better than {person}",
        "{S} recommended a {genre} podcast and now I'm {feeling}",
        "shuffle on {S} played the perfect song {when}",
        "{S} wrapped season is my favourite season",
        "sharing my {S} playlist for {day} mornings, enjoy",
        "{person} took over the {S} queue at the party {lol}",
        "podcast on {S} about {genre} got me through the commute",
        "{S} sleep playlist works every time",
    ),
    "payments": (
        "split the dinner bill on {S}, so easy",
        "does {S} charge fees for sending to friends?",
        "got paid for the freelance gig through {S} {good}",
        "{S} buyer protection actually got my money back, credit where due",
        "sent {person} money for {food} on {S}",
        "selling my old {device}, {S} only",
        "is {S} safe for buying concert tickets from strangers?",
        "{S} just made the group gift for {person} so easy {good}",
    ),
    "telecom": (
        "{S} upgraded my plan for free, didn't expect that",
        "does {S} have good coverage in the mountains?",
        "switching to {S} next month, anything I should know?",
        "{S} store guy was super helpful today {good}",
        "{person} finally got a new phone from {S}",
        "{S} coverage at the stadium was surprisingly good {when}",
        "is the {S} family plan worth it for {n} lines?",
    ),
}

#: Posts that mention no service at all, including traps for the service matcher
#: (lowercase "teams", "zoom in", "slack", "exchange rate") and for the classifier.
EVERYDAY: tuple[str, ...] = (
    "coffee first, then the world",
    "our teams played well {when}, proud of everyone",
    "both teams looked exhausted in the second half",
    "we split into teams for the pub quiz and lost badly {lol}",
    "cut me some slack, it's {day}",
    "zoom in on the second photo {lol}",
    "the currency exchange at the airport is a rip off",
    "stock exchange closed higher {when} after a rough week",
    "the stock market crashed and so did my mood",
    "crashed at 9pm last night, no regrets",
    "{person} is so down to earth, loved that interview",
    "I'm dead {lol} this video",
    "my car battery is dead, perfect start to {day}",
    "down 2-0 at half time, not looking good",
    "anyone down for {food} {when}?",
    "gift exchange at the office today, I got socks",
    "the printer at work is possessed, {n} jams today",
    "traffic on the bridge is at a dead stop {bad}",
    "rain all week apparently {bad}",
    "ran {n}k this morning, legs are dead",
    "new phone who dis",
    "the wifi at this cafe is surprisingly good {good}",
    "fell asleep during the movie {again} {lol}",
    "why is everything so expensive now",
    "just booked flights for the summer {good}",
    "that game {when}, my heart can't take it",
    "our exchange student made {food} for everyone {good}",
    "the new cafe down the street does amazing {food}",
    "slow down, it's {day}",
    "{person} just crashed the family dinner with a karaoke machine {lol}",
    "{food} for dinner {when}, no regrets",
    "{person} said I look tired. I am tired",
    "the office plant is dead and I feel responsible",
    "slack tide at 4pm if anyone's fishing",
    "both teams deserved that draw honestly",
    "down the shore this weekend {good}",
    "the sales team crushed it this quarter",
    "{day} mood: {food} and bed",
    "watched a {genre} documentary {when}, now I'm {feeling}",
    "the gym was dead {when}, loved it",
)

#: Official posts by the vendor's status account, by phase of the incident.
STATUS: dict[str, tuple[str, ...]] = {
    "ack": (
        "We're investigating reports that some users can't access {S} {P}. "
        "We'll share more within the hour. Ref {ref}",
        "We're aware of an issue affecting {S} for some users and are investigating. Ref {ref}",
    ),
    "update": (
        "We've identified the cause of the {S} issue and are working on a fix. Ref {ref}",
        "Update: we're rerouting traffic to restore {S} {P} for affected users. Ref {ref}",
        "Engineers are still working on the {S} issue. Next update in 2 hours. Ref {ref}",
    ),
    "mitigating": (
        "A fix for the {S} issue is rolling out; users should see gradual improvement. Ref {ref}",
        "Mitigation is in progress for {S}. Some users may still see delays. Ref {ref}",
    ),
    "resolved": (
        "The {S} issue is resolved. Thanks for your patience. Ref {ref}",
        "We've confirmed that {S} is working normally again for all users. Ref {ref}",
    ),
}

#: Media and aggregator posts about an outage: news, not a complaint.
NEWS: tuple[str, ...] = (
    "{S} is down for thousands of users, outage trackers show",
    "Reports of problems with {S} spike this afternoon",
    "BREAKING: {S} outage hits users in Europe and the US",
    "{S} says it is investigating an issue affecting some users",
    "{S} services are being restored after a multi-hour disruption",
    "Is {S} down? Here's what we know so far",
    "Outage tracker: {S} problem reports up sharply in the last hour",
    "Live updates: {S} disruption now past the {n} hour mark",
    "{S} users report problems with {P}, company says it is looking into it",
    "What to do while {S} is down: a quick guide",
)

__all__ = ["CHATTER_BY_KIND", "CHATTER_GENERIC", "EVERYDAY", "NEWS", "STATUS"]
