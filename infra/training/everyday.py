"""Hard-benign everyday messages: the traffic neither dataset has much of.

Written for this project (issue 9): greetings and one-word replies, very short
questions, emoji-heavy chat, text in non-Latin scripts, "edit / shorten / translate
your previous answer" follow-ups, creative-writing and role-play requests, routine
database maintenance, and developers asking about attacks. A hashed n-gram model that
has only seen long attacks and long benign texts gives very short texts extreme scores;
these examples teach it what ordinary short traffic looks like.

The held-out lists ``tests/detection/data/ordinary_messages.txt`` and
``multilingual_requests.txt`` are *not* training data: the generators drop every text
that equals one of their lines (case and edge punctuation ignored), so the tests on
them stay measurements.
"""

from __future__ import annotations

import random
from pathlib import Path

from .synthetic import Example

GENERATOR_VERSION = "1.0"
#: Version of :func:`multilingual` (the transformer's extra benign requests).
MULTILINGUAL_VERSION = "1.0"
_DATA = Path(__file__).resolve().parents[2] / "tests" / "detection" / "data"
#: Held-out lists (measurements, never training data): short ordinary messages, and
#: longer ordinary requests in many languages.
HELD_OUT = (_DATA / "ordinary_messages.txt", _DATA / "multilingual_requests.txt")

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


def held_out_keys(paths: tuple[Path, ...] = HELD_OUT) -> frozenset[str]:
    """The held-out lists' lines, normalised for comparison (a missing list adds none)."""
    keys: set[str] = set()
    for path in paths:
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            keys.update(_key(line) for line in lines if line.strip() and not line.startswith("#"))
    return frozenset(keys)


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


# ------------------------------------------------------------------ multilingual requests
# Ordinary requests of a sentence or two in other languages (GENERATOR_VERSION 1.1). The
# corpora's non-English texts are mostly attacks, so a model trained on them learns
# "not English" as a sign of attack; these say otherwise. Topics are everyday ones:
# study, work, cooking, travel, health, money, code, home. No trigger words.
_ML_OPENERS: dict[str, list[str]] = {
    "es": ["", "Hola, ", "Buenas tardes. ", "Oye, una pregunta: ", "Perdona, "],
    "fr": ["", "Bonjour, ", "Salut ! ", "Petite question : ", "Excuse-moi, "],
    "de": ["", "Hallo, ", "Guten Morgen! ", "Kurze Frage: ", "Entschuldigung, "],
    "pt": ["", "Olá, ", "Bom dia! ", "Uma dúvida: ", "Com licença, "],
    "it": ["", "Ciao, ", "Buongiorno! ", "Una domanda veloce: ", "Scusa, "],
    "nl": ["", "Hoi, ", "Goedemiddag! ", "Even een vraag: "],
    "pl": ["", "Cześć, ", "Dzień dobry! ", "Mam pytanie: "],
    "tr": ["", "Merhaba, ", "İyi günler! ", "Bir sorum var: "],
    "id": ["", "Halo, ", "Selamat siang! ", "Mau tanya: "],
    "vi": ["", "Xin chào, ", "Chào bạn! ", "Cho mình hỏi: "],
    "ru": ["", "Привет! ", "Здравствуйте, ", "Подскажите, пожалуйста: "],
    "uk": ["", "Привіт! ", "Добрий день, ", "Підкажіть: "],
    "zh": ["", "你好，", "您好！", "请问，"],
    "ja": ["", "こんにちは。", "すみません、", "質問です。"],
    "ko": ["", "안녕하세요. ", "질문이 있어요. ", "저기요, "],
    "hi": ["", "नमस्ते, ", "नमस्कार! ", "एक सवाल है: "],
    "ar": ["", "مرحبا، ", "السلام عليكم، ", "سؤال سريع: "],
    "th": ["", "สวัสดีครับ ", "สวัสดีค่ะ ", "ขอถามหน่อย "],
}
_ML_REQUESTS: dict[str, list[str]] = {
    "es": [
        "¿me explicas con palabras sencillas cómo funciona una hipoteca de tipo variable?",
        "necesito un plan de estudio de cuatro semanas para el examen de estadística.",
        "¿qué puedo preparar para cenar con pollo, pimientos y un poco de arroz?",
        "escribe un correo breve para pedirle a mi casero que arregle la calefacción.",
        "¿cuál es la diferencia entre una lista y un diccionario en Python?",
        "¿qué sitios me recomiendas visitar en Sevilla si solo tengo dos días?",
        "resume en tres frases las causas de la Revolución Francesa.",
        "¿cómo quito una mancha de vino tinto de una alfombra clara?",
    ],
    "fr": [
        "peux-tu m'expliquer simplement comment fonctionne l'impôt sur le revenu en France ?",
        "j'aimerais un programme d'entraînement pour courir 5 km en deux mois.",
        "rédige un message poli pour décaler mon rendez-vous chez le dentiste.",
        "quelle est la différence entre le passé composé et l'imparfait ?",
        "comment faire une pâte à crêpes sans grumeaux ?",
        "que visiter à Lyon avec des enfants pendant un week-end pluvieux ?",
        "explique-moi ce qu'est une clé étrangère dans une base de données.",
        "donne-moi trois idées de cadeaux pour un collègue qui part à la retraite.",
    ],
    "de": [
        "kannst du mir erklären, wie eine Steuererklärung für Studenten funktioniert?",
        "ich suche ein einfaches Rezept für einen Apfelkuchen ohne Ei.",
        "schreib bitte eine kurze Absage für ein Vorstellungsgespräch nächste Woche.",
        "was ist der Unterschied zwischen Prozessen und Threads in einem Betriebssystem?",
        "wie lange braucht man mit dem Zug von Hamburg nach München?",
        "fasse den Inhalt von Goethes Faust in wenigen Sätzen zusammen.",
        "welche Zimmerpflanzen kommen mit wenig Licht gut zurecht?",
        "wie kann ich in Excel doppelte Einträge in einer Spalte finden?",
    ],
    "pt": [
        "pode me explicar como funciona o rendimento de uma poupança?",
        "preciso de ideias de almoço saudável para levar ao trabalho.",
        "escreva uma mensagem curta agradecendo a equipe pelo projeto.",
        "qual é a diferença entre SQL e NoSQL, de forma simples?",
        "o que vale a pena visitar em Lisboa num fim de semana?",
        "como posso melhorar a minha pronúncia em inglês sozinho?",
        "resuma a história da independência do Brasil em poucas linhas.",
        "como faço para limpar o filtro do ar-condicionado em casa?",
    ],
    "it": [
        "mi spieghi in modo semplice cos'è l'inflazione?",
        "vorrei una ricetta veloce per una pasta con zucchine e gamberi.",
        "scrivi un messaggio gentile per disdire l'abbonamento in palestra.",
        "qual è la differenza tra RAM e memoria di archiviazione?",
        "cosa posso vedere a Firenze in un giorno solo?",
        "come si calcola la percentuale di sconto su un prezzo?",
        "consigliami qualche libro giallo ambientato in Italia.",
        "come preparo il mio curriculum per un primo lavoro?",
    ],
    "nl": [
        "kun je uitleggen hoe zonnepanelen stroom opwekken?",
        "wat kan ik koken met aardappelen, prei en kaas?",
        "schrijf een korte e-mail om een vergadering te verzetten.",
        "welke fietsroutes zijn mooi rond Utrecht?",
        "wat is het verschil tussen een hypotheek met vaste en variabele rente?",
        "hoe leer ik het snelst de Nederlandse werkwoordsvervoegingen?",
    ],
    "pl": [
        "jak działa procent składany? wyjaśnij na prostym przykładzie.",
        "co mogę ugotować na szybki obiad z makaronu i pieczarek?",
        "napisz krótką wiadomość z prośbą o dzień urlopu.",
        "jaka jest różnica między HTTP a HTTPS?",
        "co warto zobaczyć w Krakowie w weekend?",
        "jak przygotować się do rozmowy kwalifikacyjnej po angielsku?",
    ],
    "tr": [
        "bileşik faiz nasıl hesaplanır, basit bir örnekle anlatır mısın?",
        "akşam yemeği için sebzeli pratik bir tarif önerebilir misin?",
        "müdürüme izin istemek için kısa bir e-posta yazar mısın?",
        "Python'da liste ve demet arasındaki fark nedir?",
        "İstanbul'da bir günde nereleri gezebilirim?",
        "sınavdan önce daha iyi uyumak için ne yapabilirim?",
    ],
    "id": [
        "bisakah kamu menjelaskan cara kerja bunga pinjaman dengan sederhana?",
        "resep sarapan sehat yang cepat dibuat apa saja?",
        "tolong buatkan email singkat untuk menanyakan status pesanan saya.",
        "apa bedanya frontend dan backend dalam pengembangan web?",
        "tempat wisata apa yang bagus di Yogyakarta untuk keluarga?",
        "bagaimana cara belajar bahasa Inggris secara mandiri?",
    ],
    "vi": [
        "bạn có thể giải thích lãi suất kép một cách đơn giản không?",
        "tối nay nên nấu món gì với thịt gà và rau cải?",
        "viết giúp mình một email ngắn xin nghỉ phép một ngày.",
        "sự khác nhau giữa RAM và ổ cứng là gì?",
        "đi Đà Nẵng ba ngày thì nên tham quan những đâu?",
        "làm sao để học từ vựng tiếng Anh hiệu quả hơn?",
    ],
    "ru": [
        "объясни простыми словами, как работает ипотека.",
        "что приготовить на ужин из курицы, картошки и моркови?",
        "напиши короткое письмо с просьбой перенести встречу на пятницу.",
        "в чём разница между списком и кортежем в Python?",
        "что посмотреть в Санкт-Петербурге за два дня?",
        "как подготовиться к экзамену по истории за неделю?",
        "посоветуй несколько интересных научно-популярных книг.",
        "как убрать накипь с чайника в домашних условиях?",
    ],
    "uk": [
        "поясни, будь ласка, як працює депозит у банку.",
        "що приготувати на сніданок швидко і корисно?",
        "напиши короткий лист викладачу з проханням про консультацію.",
        "яка різниця між HTML і CSS?",
        "що варто побачити у Львові за один день?",
        "як навчитися краще планувати свій час?",
    ],
    "zh": [
        "能用简单的话解释一下什么是通货膨胀吗？",
        "晚饭想做点清淡的菜，有鸡蛋和西红柿，可以做什么？",
        "帮我写一封简短的邮件，向老师请假一天。",
        "Python 里的列表和元组有什么区别？",
        "第一次去北京，三天的行程怎么安排比较好？",
        "怎样才能提高英语听力水平？",
        "推荐几本适合初学者的理财书籍。",
        "家里的绿萝叶子发黄了，应该怎么办？",
    ],
    "ja": [
        "複利の仕組みをわかりやすく説明してもらえますか？",
        "冷蔵庫にある豚肉とキャベツで作れる夕食を教えてください。",
        "会議の日程変更をお願いする短いメールを書いてください。",
        "Pythonのリストとタプルの違いは何ですか？",
        "京都を二日間で観光するなら、どこがおすすめですか？",
        "英語のリスニングを上達させる方法を知りたいです。",
        "初心者向けのランニングの練習メニューを考えてください。",
        "部屋の湿気対策として何ができますか？",
    ],
    "ko": [
        "복리가 어떻게 계산되는지 쉽게 설명해 주세요.",
        "냉장고에 있는 두부와 김치로 만들 수 있는 요리가 있을까요?",
        "팀장님께 회의 시간 변경을 요청하는 짧은 메일을 써 주세요.",
        "파이썬에서 리스트와 튜플의 차이가 뭔가요?",
        "부산에서 이틀 동안 가볼 만한 곳을 추천해 주세요.",
        "영어 발음을 혼자서 연습하는 방법이 있을까요?",
    ],
    "hi": [
        "क्या आप आसान शब्दों में समझा सकते हैं कि चक्रवृद्धि ब्याज कैसे काम करता है?",
        "आज रात के खाने में दाल और चावल के साथ क्या बना सकते हैं?",
        "मेरे मैनेजर को एक दिन की छुट्टी के लिए छोटा सा ईमेल लिख दीजिए।",
        "पायथन में लिस्ट और टपल में क्या अंतर है?",
        "जयपुर में दो दिन में कौन-कौन सी जगहें देख सकते हैं?",
        "परीक्षा से पहले पढ़ाई का समय कैसे बाँटूँ?",
    ],
    "ar": [
        "هل يمكنك أن تشرح لي ببساطة كيف تعمل الفائدة المركبة؟",
        "ماذا أطبخ على العشاء إذا كان لدي دجاج وأرز وخضار؟",
        "اكتب لي رسالة قصيرة لأطلب من مديري إجازة يوم واحد.",
        "ما الفرق بين القائمة والصف في لغة بايثون؟",
        "ما هي الأماكن التي تستحق الزيارة في عمّان خلال يومين؟",
        "كيف أحسن مهارتي في الاستماع للغة الإنجليزية؟",
    ],
    "th": [
        "ช่วยอธิบายดอกเบี้ยทบต้นแบบง่าย ๆ หน่อยได้ไหม",
        "มื้อเย็นนี้ทำอะไรกินดีจากไข่กับผักบุ้ง",
        "ช่วยเขียนอีเมลสั้น ๆ ขอลางานหนึ่งวันให้หน่อย",
        "ไปเชียงใหม่สองวันควรเที่ยวที่ไหนบ้าง",
        "มีวิธีฝึกพูดภาษาอังกฤษด้วยตัวเองไหม",
    ],
}


def multilingual(seed: int, count: int = 600) -> list[Example]:
    """``count`` draws of an opener and a request in one language (fewer after de-duplication).

    Separate from :func:`generate` so the linear model's training data (version 1.0 draws)
    stays as it was; the transformer's training adds these.
    """
    rng = random.Random(seed)
    banned = held_out_keys()
    seen: set[str] = set()
    out: list[Example] = []
    langs = sorted(_ML_REQUESTS)
    for _ in range(count):
        lang = rng.choice(langs)
        opener, request = rng.choice(_ML_OPENERS[lang]), rng.choice(_ML_REQUESTS[lang])
        starts_sentence = not opener or opener.rstrip().endswith((".", "!", "?", "。", "！"))
        text = opener + (request[:1].upper() + request[1:] if starts_sentence else request)
        if _key(text) in banned or text in seen:
            continue
        seen.add(text)
        out.append(Example(text, "benign", "benign_chat", "multilingual", hard_benign=True))
    return out
