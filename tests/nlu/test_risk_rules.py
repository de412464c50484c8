"""The deterministic layer: negation, idioms, reports about others, context build-up."""

import pytest

from nlu import analyze
from nlu.normalize import normalize
from nlu.rules import assess, scan

# A child who says plainly that they do not hurt themselves (az with its negation suffix, ru, en).
DENIALS = [
    "özümə zərər vermirəm, sadəcə çox əsəbiyəm",
    "özümü öldürmərəm, narahat olmayın",
    "я себя не режу, просто хочется поплакать",
    "i don't hurt myself, i just need to vent",
]


def rule_level(text: str, context: tuple[str, ...] = ()) -> str:
    return assess(scan(normalize(text)), [scan(normalize(c)) for c in context]).level


@pytest.mark.parametrize(
    "text",
    [
        "yaşamaq istəmirəm",
        "yasamaq istemirem",
        "ölmək istəyirəm",
        "olmek isteyiremmm",
        "я не хочу жить",
        "ya ne hochu zhit",
        "хочу умереть",
        "I don't want to live anymore",
        "i want to die",
    ],
)
def test_azerbaijani_negation_and_its_siblings_are_risk(text):
    assert rule_level(text) in ("high", "imminent")


@pytest.mark.parametrize(
    "text",
    [
        "ölmək istəmirəm",
        "olmek istemirem sadece yoruldum",
        "yaşamaq istəyirəm",
        "я не хочу умирать",
        "ya ne hochu umirat",
        "I don't want to die",
        "i do not want to die, i just feel sad",
    ],
)
def test_negated_death_wish_is_not_risk(text):
    assert rule_level(text) in ("none", "low", "medium")


@pytest.mark.parametrize(
    "text",
    [
        "gülməkdən öldüm 😂",
        "gulmekden oldum",
        "ölürəm gülməkdən",
        "умираю со смеху",
        "я чуть не умерла со смеху",
        "this homework is killing me",
        "i died laughing at that video",
        "i'm bored to death",
    ],
)
def test_idioms_are_not_risk(text):
    assert rule_level(text) == "none"
    assert not analyze(text).risk.is_urgent


@pytest.mark.parametrize(
    "text",
    [
        "my friend says she wants to die",
        "rəfiqəm deyir ki, yaşamaq istəmir",
        "подруга говорит что хочет умереть",
        "dostum qollarını kəsir",
    ],
)
def test_reports_about_a_friend_are_risk_and_say_so(text):
    a = analyze(text)
    assert a.risk.is_urgent
    assert any("someone else" in r for r in a.risk.reasons)


def test_plan_and_means_make_it_imminent_and_the_reason_quotes_them():
    a = analyze("I want to kill myself tonight, I have the pills")
    assert a.risk.level == "imminent"
    assert any(r.startswith("plan and means") and "tonight" in r for r in a.risk.reasons)


def test_risk_builds_up_across_messages():
    alone = analyze("I have the pills")
    after = analyze("I have the pills", context=["I can't take it anymore"])
    assert after.risk.level == "imminent"
    assert after.risk.score >= alone.risk.score


def test_earlier_ideation_keeps_the_conversation_urgent():
    a = analyze("ok", context=["salam", "ozumu oldurmek isteyirem"])
    assert a.risk.is_urgent


def test_danger_right_now_is_imminent():
    assert analyze("atam indi məni döyür").risk.level == "imminent"
    assert analyze("отчим прямо сейчас бьёт меня").risk.level == "imminent"


def test_levels_and_scores_agree():
    for text in ("salam", "I feel a bit sad", "i want to die", "bu gece ozumu oldurecem"):
        a = analyze(text)
        assert 0.0 <= a.risk.score <= 1.0
    assert analyze("bu gece ozumu oldurecem").risk.score > analyze("salam").risk.score


def test_asks_for_human_in_three_languages():
    for text in (
        "insanla danışmaq istəyirəm",
        "canli operatorla danismaq isteyirem",
        "хочу поговорить с живым человеком",
        "can i talk to a real person please",
    ):
        assert analyze(text).asks_for_human, text
    assert not analyze("salam").asks_for_human


@pytest.mark.parametrize(
    "text, signal",
    [
        ("bütün əşyalarımı rəfiqələrimə payladım", "warning_signs"),
        ("раздала все свои вещи, мне они уже не понадобятся", "warning_signs"),
        ("gave away all my clothes this week", "warning_signs"),
        ("tell everyone i won't be around much longer", "warning_signs"),
        ("how to die painlessly in my sleep", "method"),
        ("ögey atam bıçağı çıxartdı, qorxuram", "threat_with_weapon"),
        ("брат приставил нож и сказал что убьёт", "threat_with_weapon"),
        ("he pulled a knife on me in the kitchen", "threat_with_weapon"),
        ("a man on discord offers robux for pics and says it's our secret", "grooming"),
        ("обещает алмазы за фотки, просит никому не говорить", "grooming"),
        ("dubayda iş var deyirlər, pasportumu onlara verim?", "trafficking"),
        ("работа в турции, паспорт говорят отдать им на оформление", "trafficking"),
        ("kiçik qardaşımla bizi tək qoyublar, evdə yemək qurtarıb", "neglect"),
        ("нас оставили одних на три дня, еда закончилась", "neglect"),
        ("evden qacmisam, 2 gundur dostumgilde qaliram", "runaway"),
        ("сбежала из дома вчера ночью", "runaway"),
        ("bacım maqnit udub, 3 yaşı var", "child_emergency"),
        ("my little brother swallowed a battery!!", "child_emergency"),
        ("the boy next to me has bruises again and says he fell", "injury_explained_away"),
        ("if you tell anyone it will be worse for you, he says", "silencing"),
        ("взрослый дядя в игре просит видео и хочет встретиться", "grooming"),
        ("they make me deliver little packets after school", "drug_courier"),
        ("atamın yanında qalsam döyəcək, evdən qaçmaq istəyirəm, qorxuram", "runaway"),
        ("the twins have had nothing but bread for days, we eat once a day", "deprivation"),
        ("у брата закончился инсулин, а денег нет", "missing_medicine"),
        ("every day they kick me in the changing room", "physical_bullying"),
        ("the 3 year old has a fever of 41 and the clinic turned us away", "child_fever"),
        ("hamiləyəm deyəsən, 15 yaşım var, qorxuram", "minor_pregnancy"),
        ("he wants photos in my underwear and says don't tell your mom", "grooming"),
        ("my little sister is having an asthma attack and there is no inhaler", "child_emergency"),
        ("мне сломали нос за школой", "physical_abuse"),
        ("i need somewhere to crash tonight, can't go back", "no_shelter"),
        ("what's the point of waking up anymore", "ideation"),
        ("a guy in the game wants pics and promises robux", "grooming"),
        ("my dad locks me in the basement when he is angry", "physical_abuse"),
        ("he wants to video call when i'm in pajamas and says keep it secret", "grooming"),
        ("they promised my sister to a man twice her age", "early_marriage"),
        ("someone anonymous says he knows my school and will wait for me", "threat_with_weapon"),
        ("anonim yazir ki hansi mektebde oxudugumu bilir ve derslerden sonra gozleyecek", "threat_with_weapon"),
        ("a man from the game wants me to turn on the camera and take off my shirt", "grooming"),
        ("kameranı aç paltarını çıxart deyir", "grooming"),
        ("qardasimin allergik reaksiyasi var, uzu sisir", "child_emergency"),
        ("у сестры температура неделю, а больница без документов не лечит", "child_fever"),
        ("evde qalmaq tehlukelidir, atam her gece sərxoş gəlir", "runaway"),
        ("rəfiqəm özünü damdan atmaq istəyir", "ideation"),
        ("my neighbour's boy sleeps in the garage, his dad threw him out", "no_shelter"),
        ("dad kicked my door in and said he'll teach me a lesson", "physical_abuse"),
        ("he says he will post my photos unless i send more", "sextortion"),
        ("сестра гуглит как повеситься, я видела историю в браузере", "ideation"),
        ("ozume zerer vermemek ucun ne edim? yene o istek gelir", "self_harm"),
        ("отчим бьет меня ремнем когда выпьет", "physical_abuse"),
        ("gde mozhno perenochevat besplatno, srochno", "no_shelter"),
        ("незнакомый мужчина в игре дарит мне подарки и говорит что это наш секрет", "grooming"),
        ("a dog bit my little brother, is rabies a danger? mum says it's nothing", "child_fever"),
        ("we cant buy insulin this month, dad lost his job", "missing_medicine"),
        ("в школе меня толкают и отбирают деньги", "physical_bullying"),
        ("bir kisi oyunda alt paltarinda sekil isteyir", "grooming"),
        ("he asks for photos in my underwear", "grooming"),
        ("написал номер моей школы и что встретит меня после уроков", "threat_with_weapon"),
        ("her gun qolunda göyərmə olur, soruşanda yıxıldım deyir", "injury_explained_away"),
        ("14 yasim var, nisanim var gelen ay", "early_marriage"),
        ("my sister went missing yesterday, she is 14", "runaway"),
        ("царапаю себя циркулем на уроках", "self_harm"),
        ("oyuncaqlarimi bacima verdim, artiq mene lazim olmayacaq", "warning_signs"),
        ("she texted if im not at school tomorrow dont worry", "warning_signs"),
        ("a boy in my class has belt-shaped bruises again", "physical_abuse"),
        ("он придёт в школу и разберётся со мной после уроков", "threat_with_weapon"),
        ("my friend gave away his PS5 and all his games and said he won't need them", "warning_signs"),
        ("indi nefes ala bilmirem panik atakdi evde tekem", "acute_panic"),
        ("i keep hearing a voice that tells me they are watching me", "psychosis_signs"),
        ("bezen dusunurem ki men olmasam anam daha rahat yasayar", "ideation"),
        ("her family is marrying her off next week, she is 16", "early_marriage"),
        ("a 20 year old guy keeps asking for videos on snap, im 13", "grooming"),
        ("the owner keeps my wages and says he'll call the police if i quit", "forced_labour"),
        ("они знают где я живу и говорят встретят после уроков", "threat_with_weapon"),
        ("брату 4 года, у него аллергия на орехи, распух и тяжело дышит", "child_emergency"),
        ("у ученицы ожоги на руках, говорит что сама обожглась", "injury_explained_away"),
        ("my student wrote in her journal that she wants to disappear forever", "ideation"),
        ("ögey anam məni evə buraxmır, rəfiqəmgildə qalırdım, indi hara gedim", "no_shelter"),
        ("they push me and kick me every single day after PE", "physical_bullying"),
        ("they dunk my head in the toilet and film it", "physical_bullying"),
        ("у мальчика синяки на шее, он говорит папа учит", "injury_explained_away"),
        ("знает где я живу и говорит что придёт за мной после уроков", "threat_with_weapon"),
        ("i hear whispering when nobody is there and it tells me things", "psychosis_signs"),
        ("someone in roblox is 19 and keeps asking for pics of me", "grooming"),
        ("сын сказал: скоро вам не придётся за меня платить", "warning_signs"),
        ("в прошлом году меня откачали, сейчас опять те же мысли", "warning_signs"),
        ("butun oyuncaqlarimi bacima paylamisam, daha mene lazim olmayacaq", "warning_signs"),
        ("anasi dedi gelme, bu gece hardasa qalmaliyam", "no_shelter"),
        ("50 manat vermesen hamiya atacam deyir", "sextortion"),
        ("oyunda biri paltarsız şəkil istəyir", "grooming"),
        ("is teklifi: Dubayda ofisiant, 17 yas olar, pasportun seklini atmaq lazimdir", "trafficking"),
        ("he sent me my home address and said see you soon", "threat_with_weapon"),
        ("classmates tip her wheelchair over every week", "physical_bullying"),
        ("she's been promised to a family and the wedding is after Novruz", "early_marriage"),
        ("пишут что придут к моей школе и изобьют после уроков", "threat_with_weapon"),
        ("20 yasli biri deyir sekil at hec kime demeyecem", "grooming"),
        ("a boy in my class keeps coming in with bruises on his neck", "injury_explained_away"),
        ("he flinched when i raised my hand to write on the board", "injury_explained_away"),
        ("an anon account sent my class schedule and said see you friday", "threat_with_weapon"),
        ("мальчик каждый день приходит голодный, дома не ели со вчерашнего утра", "deprivation"),
        ("аноним пишет что подкараулит меня после школы", "threat_with_weapon"),
    ],
)
def test_warning_signs_weapons_grooming_trafficking_neglect_and_emergencies(text, signal):
    found = scan(normalize(text))
    assert signal in found.signals, found.hits
    assert rule_level(text) in ("high", "imminent")


@pytest.mark.parametrize(
    "text",
    [
        *DENIALS,
        "mama showed me how to cut onions with a knife",
        "do i need to take my passport for the trip to turkey?",
        "bu gece pubgde hamini oldurecem",
        "what is the most painless way to remove a splinter",
        "i want to run away from home because my parents are strict",
        "where can i sleep over tonight with my friends?",
        "my grandma left a note on the table, dinner is in the fridge",
        "how long does it take to boil an egg",
        "i know where you live, bro, see you at your party 😂",
        "i broke my arm playing football",
        "my aunt is pregnant with twins, she is 35",
        "друзья ждут меня после уроков",
        "i bought robux and took pics of my new skin",
        "what is the point of this exercise?",
        "let's video call tonight, it's a secret party plan 🎉",
        "i promised my mom to clean my room",
        "i got a new camera, how do i take off the lens cap",
        "my allergies are bad this spring, eyes swollen",
        "my face is swelling after the dentist, is that normal",
        "my teacher knows which school i went to before",
        "у меня сердце кровью обливается когда смотрю на бездомных котиков",
        "xeyr men ozume zerer vermek fikrinde deyilem, sadece danismaq isteyirem",
        "intihar barede dusunmurem, sadece mektebden bezmisem",
        "anam her gun telefonumu yoxlayir",
        "my friend's birthday party is at the cafe by the bridge",
        "убить себя готова за то что ляпнула при всех",
        "ne v smysle chto hochu umeret, prosto vse seroe",
        "порезала палец когда резала салат, пластыря хватит?",
        "my brother broke my door handle",
        "our teacher will teach you a lesson on fractions",
        "мама дарит мне подарки и говорит что это секрет от папы на его день рождения",
        "where can we stay for free in baku for the weekend trip",
        "is rabies vaccine required for cats?",
        "cooking class tomorrow, we have to bring our own knife",
        "порезался когда чистил картошку, неглубоко",
        "pisiyim 2 gundu yemek yemir ne edim?",
        "у подруги день рождения, будем на мосту запускать фонарики",
        "my cat ran off 3 days ago, should i call the police?",
        "i havent been to school for 3 days because of flu",
        "bu dunyada en cox anami sevirem",
        "маленький порез на пальце, чем обработать?",
        "у подруги день рождения, отмечаем на мосту у бульвара",
        "if im not at school tomorrow its because of the dentist",
        "my belt marks on jeans look weird",
        "i gave my old phone to my sister because i won't need it after i get the new one",
        "i hear voices of the neighbours through the wall every night",
        "imtahandan qabaq əllərim titrəyir, nəfəs ala bilmirəm, panika olur",
        "anam meni gece klubuna buraxmir, rəfiqəmgildə qalmaq isteyirem",
        "my brother kicks the ball to me every single day in football practice",
        "my mom keeps asking for pics of me at camp",
        "tonight i need somewhere to sleep over for the school trip",
        "i promised my friend to come to the family dinner",
        "my mom sent me my class schedule, see you friday at the party!",
        "he comes to school with bruises from hockey practice",
        "i come home hungry every day after football",
        "порезалась когда открывала консервы, чуть-чуть кровь идёт",
        "we're doing knife skills in cooking class next week, can i bring my own knife?",
        "soon you won't have to pay for my phone, i'm getting a job",
        "i hear voices of my neighbours through the wall, nobody sleeps",
    ],
)
def test_denials_games_and_ordinary_questions_stay_calm(text):
    assert rule_level(text) in ("none", "low", "medium")


@pytest.mark.parametrize("text", DENIALS)
def test_the_model_does_not_override_a_plain_denial(text):
    assert analyze(text).risk.level in ("none", "low", "medium")
