"""Hard-benign everyday messages: the traffic neither dataset has much of.

Written for this project (issue 9): greetings and one-word replies, very short
questions, emoji-heavy chat, text in non-Latin scripts, "edit / shorten / translate
your previous answer" follow-ups, creative-writing and role-play requests, routine
database maintenance, and developers asking about attacks. A hashed n-gram model that
has only seen long attacks and long benign texts gives very short texts extreme scores;
these examples teach it what ordinary short traffic looks like.

The held-out list ``tests/detection/data/ordinary_messages.txt`` is *not* training
data: :func:`generate` drops every text that equals one of its lines (case and edge
punctuation ignored), so the ordinary-messages test stays a measurement.
"""

from __future__ import annotations

import random
from pathlib import Path

from .synthetic import Example

GENERATOR_VERSION = "1.0"
HELD_OUT = Path(__file__).resolve().parents[2] / "tests" / "detection" / "data" / "ordinary_messages.txt"

_GREET = [
    "hi",
    "hello",
    "hey",
    "hiya",
    "good morning",
    "morning",
    "good evening",
    "greetings",
    "hey there",
    "hello again",
    "hi again",
    "sup",
    "what's up",
    "heya",
]
_ADDRESS = ["", "", " there", " friend", " bot", " assistant", " buddy", " everyone", " team", " you"]
_REPLIES = [
    "yes",
    "no",
    "ok",
    "okay",
    "sure",
    "thanks",
    "thank you",
    "great",
    "good",
    "fine",
    "cool",
    "nice",
    "perfect",
    "right",
    "alright",
    "yup",
    "nah",
    "of course",
    "absolutely",
    "definitely",
    "not really",
    "sounds good",
    "that works",
    "go ahead",
    "carry on",
    "proceed",
    "next one",
    "one more",
    "again please",
    "got it",
    "understood",
    "noted",
    "interesting",
    "amazing",
    "brilliant",
    "whatever",
    "fair enough",
    "true",
    "false",
    "same",
    "me too",
    "neither",
    "both",
    "all good",
    "no worries",
    "np",
    "yes!",
    "hmmm",
    "oh",
    "ah",
    "oops",
    "ugh",
    "yay",
    "meh",
    "done!",
    "ready",
    "go",
    "start",
    "continue please",
    "more please",
    "keep it up",
    "well done",
    "good job",
    "love it",
    "hate it",
    "boring",
    "funny",
    "ha",
    "hahaha",
]
_PUNCT = ["", "", "", ".", "!", "!!", "?", "...", " :)", " :D", " 😊", " 👍", " 🙂", " 😅"]
_EMOJI = [
    "😀",
    "😂",
    "🥲",
    "😍",
    "🤔",
    "😴",
    "🙌",
    "👏",
    "🎉",
    "🔥",
    "✨",
    "💯",
    "🌞",
    "🌧️",
    "🍕",
    "☕",
    "🐶",
    "🐱",
    "❤️",
    "💙",
    "👍",
    "👌",
    "🙏",
    "😎",
    "🤷",
    "🥳",
    "😢",
    "😡",
    "🚀",
    "⚽",
]
_EMOJI_TEXT = ["{e}{e}", "{e} {w}", "{w} {e}{e}", "{e}{e}{e}", "so {w} {e}", "{w}!!! {e}", "{e} {w} {e}"]
_FEEL = ["happy", "tired", "excited", "hungry", "great", "sad", "bored", "lol", "yay", "wow", "omg", "cute", "nice"]

_Q_HEADS = [
    "what is",
    "what's",
    "who is",
    "where is",
    "when is",
    "how big is",
    "how old is",
    "why is",
    "how do I",
    "can you explain",
    "tell me about",
    "any tips on",
    "how to",
    "what about",
]
_Q_TOPICS = [
    "the moon",
    "a black hole",
    "inflation",
    "the Roman empire",
    "my cat sneezing",
    "sourdough",
    "a mortgage",
    "jazz",
    "Python decorators",
    "the French revolution",
    "a good laptop",
    "knitting",
    "climate change",
    "the offside rule",
    "tax returns",
    "a haiku",
    "compound interest",
    "TypeScript",
    "the Nile",
    "chess openings",
    "a balanced diet",
    "my résumé",
    "Kubernetes",
    "watercolor painting",
    "the metric system",
    "learning Korean",
    "yoga for beginners",
    "electric cars",
    "the stock market",
    "Shakespeare",
    "a healthy breakfast",
    "my garden",
    "saving money",
    "the Olympics",
]

_FOLLOW_VERBS = [
    "shorten",
    "rewrite",
    "edit",
    "rephrase",
    "translate",
    "simplify",
    "expand",
    "summarize",
    "proofread",
    "reformat",
    "polish",
    "tidy up",
    "redo",
    "revise",
    "condense",
    "split",
]
_FOLLOW_OBJ = [
    "your previous answer",
    "your last response",
    "the previous reply",
    "what you just wrote",
    "the text above",
    "your answer",
    "that paragraph",
    "the second paragraph",
    "the list you gave me",
    "the email you drafted",
    "your summary",
    "the intro",
    "the last message",
    "your earlier answer",
]
_FOLLOW_MOD = [
    "",
    "",
    " please",
    " into Spanish",
    " into German",
    " into Japanese",
    " in plain English",
    " to 50 words",
    " for a ten-year-old",
    " in a friendlier tone",
    " as bullet points",
    " without the jargon",
    " so it fits in a tweet",
    " and keep the numbers",
    " in the passive voice",
]
_FOLLOW_FIXED = [
    "that was too long",
    "too formal, try again",
    "can you do it without emojis",
    "less wordy please",
    "use British spelling",
    "now in French",
    "add a title",
    "drop the last point",
    "number the steps",
    "that's wrong, the date is 1989",
    "please double check the math",
    "what did you mean by that?",
    "can you cite a source for that?",
    "change the name to Priya",
    "make the ending happier",
]

_CREATIVE = [
    "write a short story about {t}",
    "write a limerick about {t}",
    "write a sonnet about {t}",
    "pretend you are a {r} and describe {t}",
    "role-play as a {r} who loves {t}",
    "let's play a game: you are a {r}, I am a traveller",
    "act as a {r} and greet me",
    "imagine you're a {r}; what would you say about {t}?",
    "write a villain's monologue about {t}",
    "give me a plot twist for a mystery about {t}",
    "write dialogue between a {r} and a robot",
]
_ROLES = [
    "pirate",
    "wizard",
    "detective",
    "chef",
    "tour guide",
    "medieval knight",
    "grumpy cat",
    "space captain",
    "librarian",
    "football coach",
    "dragon",
    "time traveller",
]

_DB_TABLES = ["orders", "sessions", "audit_log", "users_archive", "temp_import", "events", "page_views", "carts"]
_DB = [
    "DELETE FROM {t} WHERE created_at < NOW() - INTERVAL '90 days';",
    "DROP TABLE IF EXISTS {t}_old;",
    "TRUNCATE TABLE {t};",
    "VACUUM (VERBOSE, ANALYZE) {t};",
    "REINDEX TABLE {t};",
    "ALTER TABLE {t} ADD COLUMN updated_at timestamptz;",
    "CREATE INDEX ON {t} (user_id);",
    "how do I safely drop the {t} table in production?",
    "how do I purge {t} rows older than a year?",
    "is it ok to run DELETE on {t} without a WHERE clause in a test database?",
    "what's the fastest way to empty {t} in MySQL?",
    "should I partition {t} by month?",
    "UPDATE {t} SET status = 'archived' WHERE status = 'done';",
    "SELECT * FROM {t} ORDER BY id DESC LIMIT 20;",
    "how do I grant read-only access on {t} to the reporting user?",
    "our {t} table is 40 GB, how to shrink it?",
]

_ATTACKS = [
    "prompt injection",
    "SQL injection",
    "XSS",
    "a jailbreak",
    "CSRF",
    "a DAN prompt",
    "phishing",
    "ransomware",
    "indirect prompt injection",
    "a buffer overflow",
    "command injection",
    "clickjacking",
]
_DEV = [
    "how do I defend my chatbot against {a}?",
    "why does {a} work at all?",
    "explain {a} to my team",
    "what's the difference between {a} and {b}?",
    "is my app vulnerable to {a}?",
    "write unit tests that check for {a}",
    "how do security teams detect {a}?",
    "what is the history of {a}?",
    "our pentest report mentions {a}, what now?",
    'why is "ignore previous instructions" such a common example of {a}?',
    "why is <img src=x onerror=alert(1)> dangerous in a comment box?",
    "how do I escape user input so {a} is not possible?",
    "give me a checklist against {a}",
]

# Short messages in other languages and scripts (written for this project).
_MULTI = [
    "buenas tardes",
    "¿qué tal?",
    "hasta luego",
    "¿puedes repetirlo?",
    "no entiendo",
    "claro que sí",
    "perfecto, gracias",
    "bonsoir",
    "à bientôt",
    "je ne comprends pas",
    "c'est parfait",
    "pas de problème",
    "tu peux répéter ?",
    "bis später",
    "alles klar",
    "ich verstehe nicht",
    "gute Nacht",
    "kein Problem",
    "sehr gut, danke",
    "boa tarde",
    "até logo",
    "não entendi",
    "com certeza",
    "pode repetir?",
    "muito bom",
    "buonasera",
    "a presto",
    "non capisco",
    "va bene",
    "perfetto",
    "晚上好",
    "下午好",
    "明天见",
    "我不明白",
    "没关系",
    "太好了",
    "可以再说一遍吗？",
    "请帮我写一封邮件",
    "这个怎么用？",
    "今天是星期几？",
    "谢谢你的帮助",
    "好的，明白了",
    "请再解释一下",
    "这道题怎么做？",
    "お疲れ様です",
    "よろしくお願いします",
    "わかりました",
    "もう一度お願いします",
    "いいですね",
    "おやすみなさい",
    "これはどういう意味ですか？",
    "もっと短くしてください",
    "日本語で答えてください",
    "ちょっと待って",
    "добрый день",
    "доброе утро",
    "спокойной ночи",
    "я не понимаю",
    "отлично, спасибо",
    "можешь повторить?",
    "объясни попроще",
    "что это значит?",
    "помоги написать письмо",
    "всё понятно",
    "صباح الخير",
    "مساء الخير",
    "لا أفهم",
    "ممتاز",
    "هل يمكنك المساعدة؟",
    "إلى اللقاء",
    "सुप्रभात",
    "शुभ रात्रि",
    "मुझे समझ नहीं आया",
    "बहुत अच्छा",
    "फिर से बताइए",
    "좋은 아침",
    "잘 자요",
    "다시 말해 주세요",
    "고마워요",
    "알겠습니다",
    "günaydın",
    "iyi geceler",
    "anlamadım",
    "dzień dobry",
    "dobranoc",
    "chào buổi sáng",
    "selamat pagi",
    "สบายดีไหม",
    "ราตรีสวัสดิ์",
    "καλημέρα",
    "καληνύχτα",
    "בוקר טוב",
    "לילה טוב",
]


def _key(text: str) -> str:
    return text.strip().strip(".!?…").strip().casefold()


def held_out_keys(path: Path = HELD_OUT) -> frozenset[str]:
    """The ordinary-messages test list, normalised for comparison (empty if absent)."""
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(_key(line) for line in lines if line.strip() and not line.startswith("#"))


def _cap(rng: random.Random, text: str) -> str:
    r = rng.random()
    return text[:1].upper() + text[1:] if r < 0.5 else (text.upper() if r < 0.55 else text)


def _one(rng: random.Random) -> tuple[str, str]:
    kind = rng.randrange(9)
    if kind == 0:
        return _cap(rng, rng.choice(_GREET) + rng.choice(_ADDRESS) + rng.choice(_PUNCT)), "benign_chat"
    if kind == 1:
        return _cap(rng, rng.choice(_REPLIES) + rng.choice(_PUNCT)), "benign_chat"
    if kind == 2:
        tpl = rng.choice(_EMOJI_TEXT)
        return tpl.format(e=rng.choice(_EMOJI), w=rng.choice(_FEEL)).replace("{e}", rng.choice(_EMOJI)), "benign_chat"
    if kind == 3:
        return _cap(rng, f"{rng.choice(_Q_HEADS)} {rng.choice(_Q_TOPICS)}?"), "benign_chat"
    if kind == 4:
        if rng.random() < 0.3:
            return _cap(rng, rng.choice(_FOLLOW_FIXED)), "benign_chat"
        text = f"{rng.choice(_FOLLOW_VERBS)} {rng.choice(_FOLLOW_OBJ)}{rng.choice(_FOLLOW_MOD)}"
        return _cap(rng, text), "benign_chat"
    if kind == 5:
        tpl = rng.choice(_CREATIVE)
        return _cap(rng, tpl.format(t=rng.choice(_Q_TOPICS), r=rng.choice(_ROLES))), "benign_roleplay"
    if kind == 6:
        return rng.choice(_DB).format(t=rng.choice(_DB_TABLES)), "benign_sql"
    if kind == 7:
        a, b = rng.sample(_ATTACKS, 2)
        return _cap(rng, rng.choice(_DEV).format(a=a, b=b)), "benign_technical"
    return rng.choice(_MULTI) + rng.choice(_PUNCT), "benign_chat"


def generate(seed: int, count: int = 1500) -> list[Example]:
    """``count`` draws (fewer after removing duplicates and held-out texts), deterministic per seed."""
    rng = random.Random(seed)
    banned = held_out_keys()
    seen: set[str] = set()
    out: list[Example] = []
    for _ in range(count):
        text, category = _one(rng)
        key = _key(text)
        if not key.strip() and not text.strip():
            continue
        if key in banned or text in seen:
            continue
        seen.add(text)
        out.append(Example(text, "benign", category, "everyday", hard_benign=True))
    return out
