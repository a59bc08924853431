"""TextDataset and load_dataset: TSV/CSV/JSONL with chosen columns, label mapping, and file:line errors."""
import json
import pathlib

import pytest

from minitransformer.data import TextDataset, infer_label_names, load_dataset, shipped_path

REPO = pathlib.Path(__file__).resolve().parents[1]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# ---------------------------------------------------------------- good files

def test_sst2_style_tsv_keeps_text_verbatim_and_maps_sorted_labels(tmp_path):
    path = write(tmp_path, "train.tsv", 'sentence\tlabel\nit \'s a "gem" , really\t1\ndull , dull\t0\nfine\t1\n')
    ds = load_dataset(path)
    assert ds.texts == ['it \'s a "gem" , really', "dull , dull", "fine"]   # quotes are not CSV quoting here
    assert ds.label_names == ["0", "1"]
    assert ds.labels == [1, 0, 1]
    assert len(ds) == 3 and ds[1] == ("dull , dull", 0)


def test_tsv_with_crlf_endings_and_trailing_blank_lines(tmp_path):
    path = write(tmp_path, "d.tsv", "sentence\tlabel\r\ngood\tpositive\r\nbad\tnegative\r\n\r\n\n")
    ds = load_dataset(path)
    assert ds.texts == ["good", "bad"] and ds.labels == [1, 0]
    assert ds.label_names == ["negative", "positive"]


def test_csv_with_chosen_columns_and_quoted_commas(tmp_path):
    path = write(tmp_path, "reviews.csv", 'id,review,stars\n1,"Loud, but fun",5\n2,meh,2\n3,"say ""hi""",10\n')
    ds = load_dataset(path, text_column="review", label_column="stars")
    assert ds.texts == ["Loud, but fun", "meh", 'say "hi"']
    assert ds.label_names == ["2", "5", "10"]          # integer names sort as numbers, not as strings
    assert ds.labels == [1, 0, 2]


def test_jsonl_with_chosen_columns_and_integer_labels(tmp_path):
    lines = [{"text": "great", "y": 1, "extra": [1]}, {"text": "awful", "y": 0}, {"text": "ok", "y": 1}]
    path = write(tmp_path, "d.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")
    ds = load_dataset(path, text_column="text", label_column="y")
    assert ds.texts == ["great", "awful", "ok"] and ds.labels == [1, 0, 1] and ds.label_names == ["0", "1"]


def test_validation_split_uses_training_label_names(tmp_path):
    train = load_dataset(write(tmp_path, "train.tsv", "sentence\tlabel\na\tpos\nb\tneg\nc\tneutral\n"))
    assert train.label_names == ["neg", "neutral", "pos"]
    # This split lacks "neutral": built alone its ids would differ; with the training names they agree.
    val = load_dataset(write(tmp_path, "val.tsv", "sentence\tlabel\nx\tpos\ny\tneg\n"), label_names=train.label_names)
    assert val.labels == [2, 0] and val.label_names == train.label_names
    assert load_dataset(tmp_path / "val.tsv").labels == [1, 0]


def test_format_argument_overrides_the_extension(tmp_path):
    path = write(tmp_path, "data.txt", "sentence\tlabel\nhello\tgreeting\n")
    assert load_dataset(path, format="tsv").texts == ["hello"]


def test_shipped_corpus_loads_with_balanced_named_labels():
    train = load_dataset(shipped_path("train"))
    test = load_dataset(shipped_path("test"), label_names=train.label_names)
    assert train.label_names == ["negative", "positive"]
    assert (len(train), len(test)) == (8000, 1000)
    assert sum(train.labels) == 4000 and sum(test.labels) == 500


# ---------------------------------------------------------------- errors name the file, the line, the column

def test_unknown_label_names_label_file_and_line(tmp_path):
    path = write(tmp_path, "val.tsv", "sentence\tlabel\nfine\tpositive\nodd\tmaybe\n")
    with pytest.raises(ValueError) as e:
        load_dataset(path, label_names=["negative", "positive"])
    msg = str(e.value)
    assert "'maybe'" in msg and str(path) in msg and "line 3" in msg and "['negative', 'positive']" in msg


def test_wrong_number_of_fields_names_line(tmp_path):
    path = write(tmp_path, "bad.tsv", "sentence\tlabel\nok\t1\ntab\tinside\t0\n")
    with pytest.raises(ValueError, match=r"bad\.tsv: line 3: expected 2 fields.*found 3"):
        load_dataset(path)


def test_csv_short_row_names_line(tmp_path):
    path = write(tmp_path, "bad.csv", "sentence,label\nok,1\nno label here\n")
    with pytest.raises(ValueError, match=r"bad\.csv: line 3: expected 2 fields"):
        load_dataset(path)


def test_csv_unclosed_quote_names_the_line_where_the_record_starts(tmp_path):
    # the csv module reads on to the end of the file looking for the closing quote; the culprit is line 3
    path = write(tmp_path, "bad.csv", 'sentence,label\n"good",positive\n"unterminated,negative\nfine,positive\n')
    with pytest.raises(ValueError, match=r"bad\.csv: line 3: expected 2 fields.*runs on to line 4: an unclosed quote"):
        load_dataset(path)


def test_csv_multi_line_field_is_one_row_and_later_errors_name_their_own_line(tmp_path):
    path = write(tmp_path, "d.csv", 'text,label\n"two\nlines",1\nplain,0\nbroken,\n')
    with pytest.raises(ValueError, match=r"d\.csv: line 5: empty label"):
        load_dataset(path, text_column="text")
    ds = load_dataset(write(tmp_path, "e.csv", 'text,label\n"two\nlines",1\nplain,0\n'), text_column="text")
    assert ds.texts == ["two\nlines", "plain"]


@pytest.mark.parametrize("name, head", [("d.tsv", b"sentence\tlabel\n"), ("d.csv", b"sentence,label\n"),
                                        ("d.jsonl", b'{"sentence": "ok", "label": 1}\n')])
def test_bytes_that_are_not_utf8_name_file_and_line(tmp_path, name, head):
    path = tmp_path / name                              # a Latin-1 'é' (0xe9) on line 2
    row = b'{"sentence": "caf\xe9", "label": 0}\n' if name.endswith("jsonl") else b"caf\xe9\t0\n"
    path.write_bytes(head + (row.replace(b"\t", b",") if name.endswith("csv") else row))
    with pytest.raises(ValueError, match=rf"{name}: line 2: not valid UTF-8 .*byte 0xe9.*save the file as UTF-8"):
        load_dataset(path)


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    for name, text in (("d.csv", "sentence,label\nhi,1\n"), ("d.jsonl", '{"sentence": "hi", "label": 1}\n')):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        assert load_dataset(path).texts == ["hi"]


def test_missing_column_lists_available_columns(tmp_path):
    path = write(tmp_path, "d.tsv", "text\tlabel\nhi\t1\n")
    with pytest.raises(ValueError) as e:
        load_dataset(path)                                  # default text column is "sentence"
    assert "'sentence'" in str(e.value) and "['text', 'label']" in str(e.value)
    with pytest.raises(ValueError, match=r"no label column 'stars'.*\['text', 'label'\]"):
        load_dataset(path, text_column="text", label_column="stars")


def test_empty_text_names_line(tmp_path):
    path = write(tmp_path, "d.tsv", "sentence\tlabel\nhi\t1\n  \t0\n")
    with pytest.raises(ValueError, match=r"d\.tsv: line 3: empty text"):
        load_dataset(path)


def test_empty_label_names_line(tmp_path):
    path = write(tmp_path, "d.csv", "sentence,label\nhi,\n")
    with pytest.raises(ValueError, match=r"d\.csv: line 2: empty label"):
        load_dataset(path)


def test_jsonl_bad_json_and_missing_key_name_line(tmp_path):
    path = write(tmp_path, "d.jsonl", '{"sentence": "a", "label": 1}\n{"sentence": "b", "label": \n')
    with pytest.raises(ValueError, match=r"d\.jsonl: line 2: bad JSON"):
        load_dataset(path)
    path = write(tmp_path, "e.jsonl", '{"sentence": "a", "label": 1}\n\n{"text": "b", "label": 0}\n')
    with pytest.raises(ValueError, match=r"e\.jsonl: line 3: no text column 'sentence'.*\['text', 'label'\]"):
        load_dataset(path)
    path = write(tmp_path, "f.jsonl", '["sentence", "label"]\n')
    with pytest.raises(ValueError, match=r"f\.jsonl: line 1: expected a JSON object"):
        load_dataset(path)
    path = write(tmp_path, "g.jsonl", '{"sentence": 3, "label": 1}\n')
    with pytest.raises(ValueError, match=r"g\.jsonl: line 1: text 3 is a int"):
        load_dataset(path)


def test_missing_file_and_empty_file_and_unknown_extension(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.tsv"):
        load_dataset(tmp_path / "nope.tsv")
    with pytest.raises(ValueError, match="empty"):
        load_dataset(write(tmp_path, "empty.csv", ""))
    with pytest.raises(ValueError, match=r"extension '\.parquet'"):
        load_dataset(tmp_path / "d.parquet")


# ---------------------------------------------------------------- lists and the dataset object

def test_from_lists_with_names_and_with_ids():
    ds = TextDataset.from_lists(["a", "b", "c"], ["pos", "neg", "pos"])
    assert ds.labels == [1, 0, 1] and ds.label_names == ["neg", "pos"] and ds.num_labels == 2
    ds = TextDataset.from_lists(["a", "b"], [2, 0])
    assert ds.labels == [2, 0] and ds.label_names == ["0", "1", "2"]
    ds = TextDataset.from_lists(["a", "b"], [1, 0], label_names=["bad", "good"])
    assert ds.labels == [1, 0] and ds.label_names == ["bad", "good"]
    ds = TextDataset.from_lists(["a"], ["good"], label_names=["bad", "good"])
    assert ds.labels == [1]


def test_from_lists_errors():
    with pytest.raises(ValueError, match="index 1: unknown label 'meh'"):
        TextDataset.from_lists(["a", "b"], ["good", "meh"], label_names=["bad", "good"])
    with pytest.raises(ValueError, match="label id 5 at index 0"):
        TextDataset.from_lists(["a"], [5], label_names=["bad", "good"])
    with pytest.raises(ValueError, match="text at index 1"):
        TextDataset.from_lists(["a", ""], [0, 1])
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        TextDataset(["a", "b"], [0], ["x"])


def test_slicing_keeps_label_names():
    ds = TextDataset.from_lists(["a", "b", "c", "d"], ["x", "y", "x", "z"])
    part = ds[1:3]
    assert isinstance(part, TextDataset)
    assert part.texts == ["b", "c"] and part.labels == [1, 0] and part.label_names == ["x", "y", "z"]
    assert ds[-1] == ("d", 2)


def test_infer_label_names_sorts_numbers_numerically():
    assert infer_label_names(["10", "2", "1", "2"]) == ["1", "2", "10"]
    assert infer_label_names(["b", "a", "10"]) == ["10", "a", "b"]
