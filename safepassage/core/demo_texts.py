# ruff: noqa: RUF001  (full-width punctuation is correct in Chinese text)
"""The demo campaign's texts in the coalition's ten languages.

Written for safepassage from the public facts the campaign relies on (see
core/demo.py); they reproduce no organisation's letter. The English and Korean
texts came first; the others were written by the development team with machine
assistance and await review by native speakers (docs/translations.md).
"""

from __future__ import annotations

from typing import NamedTuple


class CampaignText(NamedTuple):
    title: str
    target_title: str
    target_person: str


# The campaign's title and its addressee, per language.
CAMPAIGN: dict[str, CampaignText] = {
    "en": CampaignText(
        "Save North Korean Refugees Day",
        "President of the People's Republic of China",
        "Xi Jinping",
    ),
    "ko": CampaignText("탈북난민 구출의 날", "중화인민공화국 주석", "시진핑"),
    "ja": CampaignText("北朝鮮難民救出の日", "中華人民共和国国家主席", "習近平"),
    "zh-hans": CampaignText("拯救朝鲜难民日", "中华人民共和国主席", "习近平"),
    "zh-hant": CampaignText("拯救北韓難民日", "中華人民共和國主席", "習近平"),
    "es": CampaignText(
        "Día para Salvar a los Refugiados Norcoreanos",
        "Presidente de la República Popular China",
        "Xi Jinping",
    ),
    "pt": CampaignText(
        "Dia de Salvar os Refugiados Norte-Coreanos",
        "Presidente da República Popular da China",
        "Xi Jinping",
    ),
    "de": CampaignText(
        "Tag zur Rettung nordkoreanischer Flüchtlinge",
        "Präsident der Volksrepublik China",
        "Xi Jinping",
    ),
    "fr": CampaignText(
        "Journée pour sauver les réfugiés nord-coréens",
        "Président de la République populaire de Chine",
        "Xi Jinping",
    ),
    "nl": CampaignText(
        "Dag voor de redding van Noord-Koreaanse vluchtelingen",
        "President van de Volksrepubliek China",
        "Xi Jinping",
    ),
}

# The petition: (title, Markdown body) per language.
PETITION: dict[str, tuple[str, str]] = {
    "en": (
        "Let North Korean refugees in China reach safety",
        """\
On 24 September 1982 the People's Republic of China acceded to the 1951
Convention relating to the Status of Refugees and its 1967 Protocol. Yet
North Koreans who cross into China are hunted down and sent back, where
they face imprisonment, forced labour, torture and worse.

The United Nations Commission of Inquiry on human rights in the Democratic
People's Republic of Korea, which reported in February 2014, found crimes
against humanity in North Korea's political prison camps and warned that
people forcibly returned from China suffer them. Its chair wrote to the
Chinese government about this in December 2013.

No one is left without a home: under Articles 2 and 3 of its Constitution the
Republic of Korea regards North Koreans as its citizens, so every refugee
who reaches a third country can be resettled at once.

**We respectfully ask the President of the People's Republic of China to:**

1. stop the forced return of North Korean refugees;
2. let them travel safely to the Republic of Korea or another country of
   their choice;
3. set up, together with the UN High Commissioner for Refugees, a fair
   procedure to determine refugee status;
4. protect North Korean women from trafficking and punish those who exploit them.
""",
    ),
    "ko": (
        "중국 내 탈북 난민에게 안전한 길을",
        """\
중화인민공화국은 1982년 9월 24일 1951년 난민협약과 1967년 의정서에
가입했습니다. 그러나 중국으로 건너간 북한 주민들은 붙잡혀 강제로
송환되고, 송환된 뒤에는 구금과 강제노동, 고문을 당합니다.

2014년 2월 보고서를 낸 유엔 북한인권조사위원회는 북한 정치범수용소에서
반인도범죄가 자행되고 있으며 중국에서 강제송환된 사람들이 그 피해자가
된다고 밝혔습니다. 위원장은 2013년 12월 이 문제로 중국 정부에 서한을
보냈습니다.

대한민국 헌법 제2조와 제3조에 따라 북한 주민은 대한민국 국민이므로,
제3국에 도착한 난민은 즉시 정착할 수 있습니다.

**중화인민공화국 주석께 정중히 요청합니다.**

1. 탈북 난민의 강제송환을 중단해 주십시오.
2. 난민들이 대한민국이나 원하는 제3국으로 안전하게 갈 수 있게 해 주십시오.
3. 유엔난민기구와 함께 공정한 난민 지위 심사 절차를 마련해 주십시오.
4. 북한 여성을 인신매매로부터 보호하고 가해자를 처벌해 주십시오.
""",
    ),
    "ja": (
        "中国にいる北朝鮮難民に安全な道を",
        """\
中華人民共和国は1982年9月24日、1951年の難民の地位に関する条約と1967年の
議定書に加入しました。それにもかかわらず、中国に逃れた北朝鮮の人々は
捜し出されて送り返され、送還先で投獄、強制労働、拷問、さらにひどい扱いを
受けています。

2014年2月に報告書を公表した国連北朝鮮人権調査委員会は、北朝鮮の政治犯
収容所で人道に対する罪が行われていると認定し、中国から強制送還された人々が
その被害を受けると警告しました。委員長は2013年12月、この問題について
中国政府に書簡を送っています。

行き場のない人はいません。大韓民国は憲法第2条と第3条により北朝鮮の人々を
自国民とみなしており、第三国にたどり着いた難民はすぐに定住できます。

**中華人民共和国国家主席に、謹んで次のことを求めます。**

1. 北朝鮮難民の強制送還をやめること。
2. 難民が大韓民国または本人が望む国へ安全に移動できるようにすること。
3. 国連難民高等弁務官事務所と協力し、公正な難民認定手続きを設けること。
4. 北朝鮮の女性を人身売買から守り、搾取する者を処罰すること。
""",
    ),
    "zh-hans": (
        "让在中国的朝鲜难民获得安全",
        """\
1982年9月24日，中华人民共和国加入了1951年《关于难民地位的公约》及其1967年
议定书。然而，越境进入中国的朝鲜人遭到搜捕和遣返，回国后面临监禁、强迫劳动、
酷刑乃至更严重的迫害。

联合国朝鲜人权调查委员会于2014年2月发表报告，认定朝鲜政治犯收容所中存在
危害人类罪，并警告说，被中国强制遣返的人会遭受这些罪行。委员会主席曾于
2013年12月就此致函中国政府。

这些人并非无处可去：根据《大韩民国宪法》第二条和第三条，大韩民国视朝鲜人为
本国公民，因此每一位抵达第三国的难民都可以立即获得安置。

**我们恳请中华人民共和国主席：**

1. 停止强制遣返朝鲜难民；
2. 允许他们安全前往大韩民国或他们自己选择的其他国家；
3. 与联合国难民署合作，建立公正的难民身份甄别程序；
4. 保护朝鲜妇女免遭人口贩卖，惩处剥削她们的人。
""",
    ),
    "zh-hant": (
        "讓在中國的北韓難民獲得安全",
        """\
1982年9月24日，中華人民共和國加入了1951年《難民地位公約》及其1967年議定書。
然而，越境進入中國的北韓人遭到搜捕並被遣返，回國後面臨監禁、強迫勞動、
酷刑乃至更嚴重的迫害。

聯合國北韓人權調查委員會於2014年2月發表報告，認定北韓政治犯收容所中存在
危害人類罪，並警告被中國強制遣返的人會遭受這些罪行。委員會主席曾於
2013年12月就此致函中國政府。

這些人並非無處可去：根據《大韓民國憲法》第二條與第三條，大韓民國視北韓人民為
本國國民，因此每一位抵達第三國的難民都能立即獲得安置。

**我們懇請中華人民共和國主席：**

1. 停止強制遣返北韓難民；
2. 讓他們安全前往大韓民國或自行選擇的其他國家；
3. 與聯合國難民署合作，建立公正的難民身分認定程序；
4. 保護北韓婦女免於人口販運，並懲處剝削她們的人。
""",
    ),
    "es": (
        "Que los refugiados norcoreanos en China puedan llegar a un lugar seguro",
        """\
El 24 de septiembre de 1982, la República Popular China se adhirió a la
Convención sobre el Estatuto de los Refugiados de 1951 y a su Protocolo de
1967. Sin embargo, las personas norcoreanas que cruzan a China son
perseguidas y devueltas a su país, donde sufren prisión, trabajos forzados,
tortura y cosas peores.

La Comisión de Investigación de las Naciones Unidas sobre los derechos humanos
en la República Popular Democrática de Corea, que presentó su informe en
febrero de 2014, constató crímenes de lesa humanidad en los campos de
prisioneros políticos de Corea del Norte y advirtió que quienes son devueltos
por la fuerza desde China los padecen. Su presidente escribió al Gobierno
chino sobre esta cuestión en diciembre de 2013.

Nadie queda sin hogar: según los artículos 2 y 3 de su Constitución, la
República de Corea considera a los norcoreanos sus ciudadanos, por lo que
cada refugiado que llega a un tercer país puede reasentarse de inmediato.

**Pedimos respetuosamente al Presidente de la República Popular China que:**

1. ponga fin a la devolución forzada de refugiados norcoreanos;
2. les permita viajar con seguridad a la República de Corea o a otro país de
   su elección;
3. establezca, junto con el Alto Comisionado de las Naciones Unidas para los
   Refugiados, un procedimiento justo para determinar la condición de refugiado;
4. proteja a las mujeres norcoreanas de la trata y castigue a quienes las explotan.
""",
    ),
    "pt": (
        "Que os refugiados norte-coreanos na China cheguem em segurança",
        """\
Em 24 de setembro de 1982, a República Popular da China aderiu à Convenção
relativa ao Estatuto dos Refugiados, de 1951, e ao seu Protocolo de 1967.
Mesmo assim, norte-coreanos que atravessam para a China são caçados e
mandados de volta, onde enfrentam prisão, trabalho forçado, tortura e coisas
piores.

A Comissão de Inquérito das Nações Unidas sobre os direitos humanos na
República Popular Democrática da Coreia, que apresentou seu relatório em
fevereiro de 2014, constatou crimes contra a humanidade nos campos de
prisioneiros políticos da Coreia do Norte e alertou que as pessoas devolvidas
à força pela China são vítimas deles. Seu presidente escreveu ao governo
chinês sobre o assunto em dezembro de 2013.

Ninguém fica sem lar: pelos artigos 2 e 3 de sua Constituição, a República
da Coreia considera os norte-coreanos seus cidadãos, e por isso todo
refugiado que chega a um terceiro país pode ser reassentado imediatamente.

**Pedimos respeitosamente ao Presidente da República Popular da China que:**

1. ponha fim à devolução forçada de refugiados norte-coreanos;
2. permita que viajem com segurança para a República da Coreia ou para outro
   país de sua escolha;
3. estabeleça, com o Alto Comissariado das Nações Unidas para Refugiados, um
   procedimento justo de determinação da condição de refugiado;
4. proteja as mulheres norte-coreanas do tráfico de pessoas e puna quem as explora.
""",
    ),
    "de": (
        "Sicherheit für nordkoreanische Geflüchtete in China",
        """\
Am 24. September 1982 ist die Volksrepublik China dem Abkommen über die
Rechtsstellung der Flüchtlinge von 1951 und seinem Protokoll von 1967
beigetreten. Dennoch werden Menschen aus Nordkorea, die nach China fliehen,
aufgespürt und zurückgeschickt. Dort drohen ihnen Haft, Zwangsarbeit, Folter
und Schlimmeres.

Die Untersuchungskommission der Vereinten Nationen zur Menschenrechtslage in
der Demokratischen Volksrepublik Korea stellte in ihrem Bericht vom Februar
2014 Verbrechen gegen die Menschlichkeit in den politischen Gefangenenlagern
Nordkoreas fest und warnte, dass Menschen, die China zwangsweise zurückführt,
ihnen zum Opfer fallen. Ihr Vorsitzender schrieb der chinesischen Regierung
im Dezember 2013 dazu.

Niemand bleibt ohne Heimat: Nach den Artikeln 2 und 3 ihrer Verfassung
betrachtet die Republik Korea die Menschen aus Nordkorea als ihre
Staatsangehörigen. Wer ein Drittland erreicht, kann deshalb sofort dauerhaft
aufgenommen werden.

**Wir bitten den Präsidenten der Volksrepublik China respektvoll,**

1. die Zwangsrückführung nordkoreanischer Geflüchteter zu beenden;
2. ihnen die sichere Reise in die Republik Korea oder ein anderes Land ihrer
   Wahl zu ermöglichen;
3. gemeinsam mit dem Hohen Flüchtlingskommissar der Vereinten Nationen ein
   faires Verfahren zur Feststellung der Flüchtlingseigenschaft einzurichten;
4. nordkoreanische Frauen vor Menschenhandel zu schützen und diejenigen zu
   bestrafen, die sie ausbeuten.
""",
    ),
    "fr": (
        "Que les réfugiés nord-coréens en Chine puissent trouver la sécurité",
        """\
Le 24 septembre 1982, la République populaire de Chine a adhéré à la
Convention de 1951 relative au statut des réfugiés et à son Protocole de 1967.
Pourtant, les Nord-Coréens qui passent en Chine sont traqués et renvoyés dans
leur pays, où ils sont exposés à l'emprisonnement, au travail forcé, à la
torture et à pire encore.

La Commission d'enquête des Nations unies sur les droits de l'homme en
République populaire démocratique de Corée, qui a rendu son rapport en février
2014, a établi que des crimes contre l'humanité étaient commis dans les camps
de prisonniers politiques nord-coréens et a averti que les personnes renvoyées
de force par la Chine en étaient victimes. Son président a écrit au
gouvernement chinois à ce sujet en décembre 2013.

Personne n'est laissé sans foyer : en vertu des articles 2 et 3 de sa
Constitution, la République de Corée considère les Nord-Coréens comme ses
citoyens ; tout réfugié qui atteint un pays tiers peut donc être réinstallé
immédiatement.

**Nous demandons respectueusement au Président de la République populaire de Chine :**

1. de mettre fin au renvoi forcé des réfugiés nord-coréens ;
2. de leur permettre de se rendre en sécurité en République de Corée ou dans
   un autre pays de leur choix ;
3. de mettre en place, avec le Haut-Commissariat des Nations unies pour les
   réfugiés, une procédure équitable de détermination du statut de réfugié ;
4. de protéger les femmes nord-coréennes contre la traite et de punir ceux qui
   les exploitent.
""",
    ),
    "nl": (
        "Laat Noord-Koreaanse vluchtelingen in China veilig verder",
        """\
Op 24 september 1982 trad de Volksrepubliek China toe tot het
Vluchtelingenverdrag van 1951 en het Protocol van 1967. Toch worden
Noord-Koreanen die China binnenkomen opgejaagd en teruggestuurd, waar
gevangenschap, dwangarbeid, marteling en erger hen wachten.

De Onderzoekscommissie van de Verenigde Naties naar de mensenrechten in de
Democratische Volksrepubliek Korea, die in februari 2014 rapporteerde, stelde
misdaden tegen de menselijkheid vast in de politieke gevangenkampen van
Noord-Korea en waarschuwde dat mensen die China gedwongen terugstuurt daarvan
het slachtoffer worden. De voorzitter schreef de Chinese regering hierover in
december 2013.

Niemand blijft zonder thuis: volgens de artikelen 2 en 3 van haar grondwet
beschouwt de Republiek Korea Noord-Koreanen als haar burgers, zodat elke
vluchteling die een derde land bereikt meteen kan worden hervestigd.

**Wij vragen de president van de Volksrepubliek China met respect:**

1. de gedwongen terugkeer van Noord-Koreaanse vluchtelingen te stoppen;
2. hen veilig te laten reizen naar de Republiek Korea of een ander land van
   hun keuze;
3. samen met de Hoge Commissaris van de Verenigde Naties voor de Vluchtelingen
   een eerlijke procedure op te zetten om de vluchtelingenstatus vast te stellen;
4. Noord-Koreaanse vrouwen te beschermen tegen mensenhandel en wie hen uitbuit
   te straffen.
""",
    ),
}
