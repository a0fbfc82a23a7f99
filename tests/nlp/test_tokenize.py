"""nlp.tokenize: jieba with the domain dictionaries, normalisation, and tokens with their positions."""

from nlp.tokenize import normalize, token_spans, tokens


def test_normalize_folds_width_case_and_space():
    assert normalize("  ＯＦＦＥＲ   我接受了！ ") == "offer 我接受了!"


def test_tokens_drop_white_space():
    assert " " not in tokens("我 不去了   谢谢")
    assert "".join(tokens("我 不去了   谢谢")) == "我不去了谢谢"


def test_token_spans_point_into_the_normalised_text():
    text = "Ｈｉ， 我想问下 入职时间能推迟吗？"
    norm = normalize(text)
    spans = token_spans(text)
    assert [t for _, t in spans] == tokens(text)
    assert all(norm[pos:pos + len(t)] == t for pos, t in spans)
    assert [pos for pos, _ in spans] == sorted(pos for pos, _ in spans)
