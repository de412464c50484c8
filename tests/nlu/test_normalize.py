from nlu.normalize import EMOJI_TOKENS, normalize


def key(text: str) -> str:
    return normalize(text).key


def test_case_and_azerbaijani_letters_fold_to_one_key():
    assert key("ÖZÜMÜ ÖLDÜRMƏK İSTƏYİRƏM") == key("ozumu oldurmek isteyirem")
    assert key("Şəkillərimi") == key("sekillerimi")


def test_repeated_letters_collapse():
    assert key("ölmək istəyirəəəm") == key("ölmək istəyirəm")
    assert key("salaaaaam") == key("salam")


def test_cyrillic_and_latin_russian_meet():
    target = key("я не хочу жить")
    for typed in ("ya ne hochu zhit", "ya ne xochu jit", "ya ne khochu zhit'", "ya ne ho4u zhit"):
        assert key(typed) == target, typed


def test_common_misspellings_are_corrected():
    assert key("olmek istiyirem") == key("ölmək istəyirəm")
    assert key("I dont wanna live") == key("I do not want to live")


def test_emoji_become_tokens_and_punctuation_spaces():
    n = normalize("bu gecə...💊💊!!")
    assert "emo_pil" in n.tokens
    assert n.key.startswith("bu gece")


def test_emoji_token_names_are_fixed_points_of_the_folding():
    for name in set(EMOJI_TOKENS.values()):
        assert normalize(name, spelling=False).key == name


def test_offsets_quote_the_childs_own_words():
    n = normalize("Mən ÖLMƏK istəyirəəəm!!")
    start = n.key.index("olmek")
    assert n.original_span(start, start + len("olmek")) == "ÖLMƏK"


def test_empty_and_symbol_only_messages():
    assert normalize("").tokens == ()
    assert normalize("   ...  ").key == ""
