"""The configs/clue_*.yaml recipes read CLUE's files as CLUE ships them, and say which file is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfft.config import load_config
from tfft.data.errors import DataError
from tfft.tasks import make_task

CONFIGS = Path(__file__).resolve().parent.parent / "configs"

# A few rows in each dataset's exact format (fields as in CLUE's own train.json / dev.json).
ROWS = {
    "tnews": [{"label": "102", "label_desc": "news_entertainment", "sentence": "江疏影甜甜圈自拍，迷之角度竟这么好看，美吸引一切事物", "keywords": "江疏影,美少女"},
              {"label": "110", "label_desc": "news_military", "sentence": "以色列大规模空袭开始，伊朗多个军事目标遭遇打击", "keywords": ""}],
    "iflytek": [{"label": "11", "label_des": "薅羊毛", "sentence": "《钱宝宝》是一款手机赚钱软件，下载后完成任务即可获得奖励。"},
                {"label": "36", "label_des": "旅游资讯", "sentence": "游在四方为你提供全国各地景点门票预订和旅游攻略。"}],
    "afqmc": [{"sentence1": "双十一花呗提额在哪", "sentence2": "里可以提花呗额度", "label": "0"},
              {"sentence1": "花呗支持高铁票支付吗", "sentence2": "为什么友付宝不支持花呗付款", "label": "1"}],
    "cmnli": [{"sentence1": "新的权利已经足够好了", "sentence2": "每个人都很喜欢最新的福利", "label": "neutral"},
              {"sentence1": "这是一个正确的选择", "sentence2": "这个选择是错的", "label": "contradiction"},
              {"sentence1": "他们在讨论这件事", "sentence2": "他们都同意了", "label": "-"}],  # no gold label
    "ocnli": [{"sentence1": "一月份跟二月份肯定有一个月份有", "sentence2": "肯定有一个月份有", "label": "entailment",
               "label0": "entailment", "genre": "", "prem_id": "", "id": 0},
              {"sentence1": "一点来钟时,张永红却来了", "sentence2": "一点多钟,张永红来了", "label": "neutral",
               "label0": "neutral", "genre": "lit", "prem_id": "", "id": 1},
              {"sentence1": "会议推迟到下周", "sentence2": "会议取消了", "label": "-", "label0": "contradiction",
               "genre": "news", "prem_id": "", "id": 2}],
}
CLUENER = [{"text": "浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。",
            "label": {"name": {"叶老桂": [[9, 11]]}, "company": {"浙商银行": [[0, 3]]}}},
           {"text": "生生不息CSOL生化狂潮让你填弹狂扫", "label": {"game": {"CSOL": [[4, 7]]}}}]
CMRC_CONTEXT = ("《战国无双3》是由光荣和ω-force开发的战国无双系列的正统第三续作。本作以三大故事为主轴，"
                "分别是以武田信玄等人为主的《关东三国志》。" * 3)
CMRC2018 = {"version": "v1.0", "data": [{"id": "DEV_0", "title": "战国无双3", "paragraphs": [{
    "id": "DEV_0", "context": CMRC_CONTEXT, "qas": [
        {"question": "《战国无双3》是由哪两个公司合作开发的？", "id": "DEV_0_QUERY_0",
         "answers": [{"text": "光荣和ω-force", "answer_start": 9}]},
        {"question": "男女主角亦有专属声优这一模式是由谁改编的？", "id": "DEV_0_QUERY_1",
         "answers": [{"text": "武田信玄", "answer_start": CMRC_CONTEXT.index("武田信玄")}]}]}]}]}


def recipe(name: str, folder: Path, train: Path):
    return load_config(CONFIGS / f"clue_{name}.yaml", [f"data.train={train}", f"data.validation={train}",
                                                       f"output_dir={folder / 'runs'}"])


def json_lines(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(ROWS))
def test_clue_classification_files_are_read_as_shipped(name, tmp_path):
    config = recipe(name, tmp_path, json_lines(tmp_path / "train.json", ROWS[name]))
    examples = make_task(config.task, config.task_options, config.data).read(config.data.train)
    rows = [row for row in ROWS[name] if row["label"] != "-"]  # CLUE's "-": annotators did not agree
    assert examples.texts == [row.get("sentence", row.get("sentence1")) for row in rows]
    assert examples.pairs == ([row["sentence2"] for row in rows] if "sentence2" in rows[0] else None)
    assert [str(label) for label in examples.labels] == [str(row[config.data.label_column]) for row in rows]


def test_cluener2020_file_is_read_as_shipped(tmp_path):
    config = recipe("cluener", tmp_path, json_lines(tmp_path / "train.json", CLUENER))
    examples = make_task(config.task, config.task_options, config.data).read(config.data.train)
    found = [[(text[span.start:span.end], span.label) for span in spans]
             for text, spans in zip(examples.texts, examples.spans)]
    assert found == [[("浙商银行", "company"), ("叶老桂", "name")], [("CSOL", "game")]]


def test_cmrc2018_file_is_read_as_squad(tmp_path):
    path = tmp_path / "train.json"
    path.write_text(json.dumps(CMRC2018, ensure_ascii=False), encoding="utf-8")
    config = recipe("cmrc2018", tmp_path, path)
    examples = make_task(config.task, config.task_options, config.data).read(config.data.train)
    assert examples.questions[0] == "《战国无双3》是由哪两个公司合作开发的？"
    for context, answers in zip(examples.contexts, examples.answers):
        assert all(context[a.start:a.start + len(a.text)] == a.text for a in answers)


@pytest.mark.parametrize("name", ["tnews", "cluener", "cmrc2018"])
def test_a_missing_clue_file_is_named(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(CONFIGS / f"clue_{name}.yaml")
    with pytest.raises(DataError, match=f"data/clue/{name}/train.json.*file does not exist"):
        make_task(config.task, config.task_options, config.data).read(config.data.train)
