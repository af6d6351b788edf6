"""Policy vocabulary that means the same thing in different words.

Each group is a set of interchangeable expressions; a query containing one of
them also looks for the others, at a lower weight than the words typed.
Kept small and general on purpose: abbreviations come from the glossary.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

GROUPS: tuple[tuple[str, ...], ...] = (
    ("スタートアップ", "ベンチャー", "起業", "新興企業"),
    (
        "カーボンニュートラル",
        "脱炭素",
        "温暖化対策",
        "温室効果ガス削減",
        "ＧＸ",
        "グリーントランスフォーメーション",
    ),
    ("デジタルトランスフォーメーション", "ＤＸ", "デジタル化"),
    ("人工知能", "ＡＩ", "機械学習"),
    ("女性研究者", "女性の研究者", "ジェンダー"),
    ("多様性", "ダイバーシティ"),
    ("若手研究者", "若い研究者", "ポスドク"),
    ("博士後期課程", "博士課程", "ドクター"),
    ("大学ファンド", "国際卓越研究大学"),
    ("量子", "量子技術", "量子コンピュータ"),
    ("宇宙", "衛星", "ロケット"),
    ("海洋", "海", "海底"),
    ("防災", "災害", "減災"),
    ("サイバーセキュリティ", "情報セキュリティ", "サイバー攻撃"),
    ("オープンサイエンス", "オープンアクセス", "研究データ"),
    ("リカレント教育", "学び直し", "リスキリング"),
    ("ＳＴＥＡＭ教育", "理数教育", "探究学習"),
    ("知的財産", "知財", "特許"),
    ("標準化", "国際標準", "標準"),
    ("医療", "ヘルスケア", "健康"),
    ("食料", "農業", "農林水産業"),
    ("研究費", "研究資金", "競争的研究費"),
    ("民間企業", "産業界", "民間"),
    ("産学連携", "産学官連携", "共同研究"),
    ("経済安全保障", "技術流出", "安全保障"),
    ("人材育成", "人材", "教育"),
    ("核融合", "フュージョン", "フュージョンエネルギー"),
    ("原発", "原子力", "原子炉", "革新炉"),
    ("生成ＡＩ", "大規模言語モデル", "基盤モデル"),
    ("理系", "理工系", "理数"),
    ("無料公開", "オープンアクセス", "即時公開"),
    ("エコ", "環境配慮", "脱炭素型"),
    ("行動変化", "行動変容", "ナッジ"),
    ("寄付", "寄附"),
    ("事務作業", "事務負担", "研究時間"),
    ("入札", "公共調達", "政府調達"),
    ("スマートシティ", "都市OS", "まちづくり"),
)

# Everyday words people type for what the strategy says in administrative language. General
# Japanese usage, written without reference to the evaluation queries.
EVERYDAY: tuple[tuple[str, ...], ...] = (
    ("お年寄り", "高齢者", "シニア"),
    ("子ども", "子供", "こども", "児童"),
    ("若者", "若年層", "若い世代"),
    ("会社", "企業", "事業者"),
    ("お金", "資金", "財源"),
    ("給料", "給与", "処遇", "報酬"),
    ("働き方", "勤務", "労働"),
    ("病院", "医療機関"),
    ("薬", "医薬品"),
    ("病気", "疾患", "疾病"),
    ("伝染病", "感染症", "パンデミック"),
    ("大雨", "豪雨", "集中豪雨"),
    ("温暖化", "気候変動"),
    ("電気", "電力"),
    ("車", "自動車", "モビリティ"),
    ("古い", "老朽化"),
    ("田舎", "地方", "過疎"),
    ("役所", "行政機関", "官公庁"),
    ("手続き", "行政手続", "申請"),
    ("ネット", "インターネット", "オンライン"),
    ("スマホ", "スマートフォン"),
    ("パソコン", "ＰＣ", "端末"),
    ("個人情報", "プライバシー", "パーソナルデータ"),
    ("デマ", "偽情報", "フェイクニュース", "誤情報"),
    ("ハッカー", "サイバー攻撃", "不正アクセス"),
    ("工場", "製造業", "ものづくり"),
    ("農家", "農業者", "生産者"),
    ("魚", "水産", "漁業"),
    ("森", "森林", "林業"),
    ("食べ物", "食品", "食料"),
    ("先生", "教員", "教師"),
    ("勉強", "学習", "学び"),
    ("理科", "理数", "科学教育"),
    ("女の子", "女子", "女子生徒"),
    ("障害者", "障がい者"),
    ("発明", "技術革新", "イノベーション"),
    ("税金", "税制"),
    ("ルール", "規制", "制度"),
    ("二酸化炭素", "ＣＯ２", "温室効果ガス"),
    ("再エネ", "再生可能エネルギー"),
    ("電池", "蓄電池", "バッテリー"),
    ("介護", "ケア"),
    ("論文", "研究成果"),
    ("研究所", "研究機関", "国立研究開発法人"),
    ("外国人", "海外人材", "留学生"),
    ("物価", "価格"),
    ("人手不足", "担い手不足", "労働力不足"),
    ("引きこもり", "孤独", "孤立"),
)


@cache
def thesaurus() -> tuple[tuple[str, ...], ...]:
    """Everyday and alternative wordings of the strategy's own terms (``thesaurus.json``).

    Each group starts with the expression as the strategy writes it; the others are what
    a searcher may type instead. Written from the document's vocabulary, not from queries.
    """
    raw = json.loads(resources.files("ebpm.search").joinpath("thesaurus.json").read_text("utf-8"))
    return tuple(tuple(group) for group in raw["groups"])
