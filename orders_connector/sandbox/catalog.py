"""Word lists and the product catalog the fake orders are drawn from (Taiwanese shop data)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Final

from orders_connector.sandbox.hashing import SALT_CATALOG, key

SURNAMES: Final = (
    "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂"
    "江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏"
)
GIVEN_CHARS: Final = (
    "家怡雅婷志明俊宏淑芬美玲建國秀英冠宇欣妤承恩柏翰宜蓁子涵品妍詠晴宥廷彥廷語彤思妤佳穎"
    "文傑怡君佩珊韋伶嘉玲靜宜偉哲書豪雨萱若瑜哲瑋振宇信宏心怡筱涵詩涵郁婷育誠"
)

CITIES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("100", "臺北市中正區", ("重慶南路一段", "羅斯福路二段", "忠孝西路一段", "南昌路二段")),
    ("106", "臺北市大安區", ("忠孝東路四段", "復興南路一段", "敦化南路二段", "和平東路三段")),
    ("110", "臺北市信義區", ("松仁路", "基隆路一段", "信義路五段", "永吉路")),
    ("220", "新北市板橋區", ("文化路一段", "中山路二段", "縣民大道二段", "四川路一段")),
    ("231", "新北市新店區", ("北新路三段", "中正路", "民權路")),
    ("330", "桃園市桃園區", ("中正路", "復興路", "經國路")),
    ("320", "桃園市中壢區", ("中央西路二段", "環北路", "元化路")),
    ("300", "新竹市東區", ("光復路二段", "東大路一段", "建功一路")),
    ("407", "臺中市西屯區", ("臺灣大道三段", "逢甲路", "文心路三段", "河南路二段")),
    ("403", "臺中市西區", ("公益路", "美村路一段", "五權西路一段")),
    ("500", "彰化縣彰化市", ("中山路二段", "民族路", "光復路")),
    ("701", "臺南市東區", ("東門路二段", "崇學路", "林森路一段")),
    ("700", "臺南市中西區", ("民生路二段", "中正路", "海安路二段")),
    ("806", "高雄市前鎮區", ("中華五路", "成功二路", "一心二路")),
    ("800", "高雄市新興區", ("中山一路", "七賢一路", "民族二路")),
    ("260", "宜蘭縣宜蘭市", ("中山路三段", "神農路二段")),
    ("970", "花蓮縣花蓮市", ("中正路", "林森路", "中華路")),
    ("950", "臺東縣臺東市", ("中華路一段", "更生路")),
)

NOTES: Final[tuple[str, ...]] = (
    "請在下午送達，謝謝 🙏",
    "禮物包裝，附卡片「生日快樂」🎁",
    "不要按電鈴，放管理室即可",
    "週末不在家 😅 請平日配送",
    "發票請開公司統編",
    "寶寶在睡覺，請輕聲 👶",
    "急件！明天要送人 🔥🔥",
    "同一地址合併出貨",
    "請幫我換成藍色，謝謝",
    "已電話確認，客人會自取",
    "VIP 客戶 ⭐️ 請優先處理",
    "尺寸不確定，先保留",
    "客服備註：重複下單，已合併 ✅",
    "ありがとう！日本客人代購",
)

EXTRA_INFOS: Final[tuple[str, ...]] = (
    "統一編號：24536806",
    "門市取貨：7-11 台大門市（店號 123456）",
    "全家便利商店 新店中正店",
    '{"utm_source":"facebook","utm_campaign":"double11"}',
    "LINE 官方帳號下單",
    "載具：/ABC1234",
    "捐贈碼：919",
    "來源活動：週年慶 9 折",
)

ORDER_SOURCES: Final[tuple[tuple[str, int], ...]] = (
    ("cyberbiz", 88),
    ("shopline", 6),
    ("manual", 4),
    ("line", 2),
)

# Values the server holds that no published list mentions (the unknown_enum_rate fault).
UNDOCUMENTED_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "financial_status": ("on_hold", "partially_paid", "authorized", "voided"),
    "fulfillment_status": ("lost_in_transit", "on_hold", "ready_for_pickup", "cancelled"),
    "return_status": ("exchange_requested", "lost_in_transit", "on_hold"),
    "order_source": ("momo", "shopee", "pchome", "pos"),
}

_CATEGORIES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "服飾": (
        ("經典", "純棉", "寬版", "復古", "機能", "亞麻"),
        ("T恤", "襯衫", "帽T", "外套", "長褲", "洋裝"),
    ),
    "鞋類": (
        ("輕量", "氣墊", "防水", "皮革", "休閒"),
        ("跑鞋", "帆布鞋", "拖鞋", "短靴", "樂福鞋"),
    ),
    "配件": (("手工", "極簡", "真皮", "編織"), ("皮夾", "托特包", "後背包", "漁夫帽", "圍巾")),
    "美妝": (("保濕", "控油", "舒緩", "亮白"), ("精華液", "乳液", "面膜", "防曬乳", "洗面乳")),
    "居家": (
        ("北歐風", "日式", "無印風", "可愛"),
        ("馬克杯", "抱枕", "香氛蠟燭", "收納盒", "毛巾"),
    ),
    "食品": (("台灣", "手作", "有機", "古早味"), ("烏龍茶", "鳳梨酥", "牛軋糖", "咖啡豆", "蜂蜜")),
}
_VARIANTS: Final = ("白", "黑", "灰", "藍", "粉", "S", "M", "L", "XL", "250ml", "禮盒")


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    sku: str
    description: str | None
    price: int
    stock: int
    category: str
    created_at: str
    updated_at: str

    def as_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "sku": self.sku,
            "description": self.description,
            "price": self.price,
            "stock": self.stock,
            "category": self.category,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def as_item_product(self) -> dict[str, Any]:
        """The short product object nested in an order item."""
        return {"id": self.id, "name": self.name, "sku": self.sku, "price": self.price}


def build_products(seed: int, start: dt.date, count: int = 200) -> tuple[Product, ...]:
    """~200 products, created some months before the first order."""
    rng = random.Random(key(seed, SALT_CATALOG, 0))
    base = dt.datetime.combine(start, dt.time()) - dt.timedelta(days=400)
    names: set[str] = set()
    products: list[Product] = []
    categories = list(_CATEGORIES)
    while len(products) < count:
        category = rng.choice(categories)
        adjectives, nouns = _CATEGORIES[category]
        name = f"{rng.choice(adjectives)}{rng.choice(nouns)} {rng.choice(_VARIANTS)}"
        if name in names:
            name = f"{name} {len(products) + 1}"
        names.add(name)
        product_id = len(products) + 1
        created = base + dt.timedelta(seconds=rng.randrange(300 * 86400))
        updated = created + dt.timedelta(seconds=rng.randrange(60 * 86400))
        products.append(
            Product(
                id=product_id,
                name=name,
                sku=f"{rng.choice('ABCDEFGHJKLMNPRSTW')}{rng.choice('ABDEKMRSTZ')}"
                f"{rng.randrange(1000, 9999)}-{rng.randrange(100, 999)}",
                description=None if rng.random() < 0.2 else f"{category}｜{name}，台灣出貨",
                price=rng.choice((99, 149, 199, 290, 350, 399, 480, 590, 680, 890, 990))
                + rng.choice((0, 0, 100, 500, 1000, 2000)),
                stock=rng.randrange(0, 500),
                category=category,
                created_at=created.strftime("%Y-%m-%d %H:%M:%S"),
                updated_at=updated.strftime("%Y-%m-%d %H:%M:%S"),
            )
        )
    return tuple(products)
