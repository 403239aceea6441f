"""What the eval talks say (``evals.eval_talks`` speaks and draws them): ten talks of four to six
topics, each topic a spoken signpost naming it, three spoken sentences of facts, and a slide
whose title names the topic and whose figures are never spoken. Every topic carries one
question about a spoken fact (a paraphrase, not the sentence's words) and one about a figure on
its slide; every talk two near-topic questions (its topic words, a fact nobody states), and
``OFF_TOPIC`` holds questions nothing here answers.

A fact is ``"word|alternative"`` groups joined by ``;``: an answer is right when it holds one
alternative of every group (numbers as digits or words: Whisper and models write either)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str  # what the slide title says and a chapter title should name
    signpost: str  # the spoken sentence that opens the topic
    sentences: tuple[str, str, str]
    figures: tuple[str, ...]  # slide lines under the title, never spoken
    spoken_question: tuple[str, int, str]  # (question, index in sentences, fact)
    slide_question: tuple[str, int, str]  # (question, index in figures, fact)


@dataclass(frozen=True)
class Talk:
    stem: str
    title: str
    intro: str
    outro: str
    topics: tuple[Topic, ...]
    near_topic: tuple[str, str]  # questions on its topic words that nothing here answers


def _t(name: str, signpost: str, sentences: str, figures: str, spoken: str, slide: str) -> Topic:
    """A topic from compact strings: sentences split on ``" / "``, figures on ``" / "``,
    questions as ``"question # index # fact"``."""
    said = tuple(s.strip() for s in sentences.split(" / "))
    assert len(said) == 3, name
    q1, i1, f1 = (p.strip() for p in spoken.split("#"))
    q2, i2, f2 = (p.strip() for p in slide.split("#"))
    return Topic(
        name,
        signpost,
        (said[0], said[1], said[2]),
        tuple(f.strip() for f in figures.split(" / ")),
        (q1, int(i1), f1),
        (q2, int(i2), f2),
    )


FIRST_TALKS = (
    Talk(
        "eval-city-transport",
        "City transport update",
        "Good morning, and welcome to the city transport update.",
        "Thank you all for listening.",
        (
            _t(
                "The new tram line",
                "Let me start with the new tram line.",
                "The tram line will run twelve kilometres from the harbour to the university. / "
                "Construction begins next spring and should take about three years. / "
                "Trams will arrive every six minutes during the morning rush.",
                "Stops: 18 / Budget: 240 million euros",
                "How far will the tram route stretch? # 0 # twelve|12",
                "How many stops does the new tram line have? # 0 # 18",
            ),
            _t(
                "Bicycle lanes",
                "Now let me turn to bicycle lanes.",
                "Last year we painted protected bike lanes on nine of the busiest streets. / "
                "Cycling trips on those streets doubled within six months. / "
                "Next we want to add covered bicycle parking near every train station.",
                "New lanes: 31 km / Cycling injuries down: 22%",
                "How much did bike journeys grow on the streets that got lanes? "
                "# 1 # doubled|double|twice",
                "By what percentage did cycling injuries fall? # 1 # 22",
            ),
            _t(
                "Parking fees",
                "Our next topic is parking fees.",
                "Parking in the old town will cost more from the first of July. / "
                "The money will pay for cleaning and repairing the public squares. / "
                "Residents keep their free permits, but visitors pay by the hour.",
                "Hourly rate: 3.50 euros / Revenue goal: 8 million",
                "When do the higher charges for leaving a car in the old town begin? # 0 # july",
                "What is the hourly rate for parking in the old town? # 0 # 3.50|3.5",
            ),
            _t(
                "Night buses",
                "Next, the night buses.",
                "Four night bus routes started running in October. / "
                "The busiest one carries about nine hundred passengers every Saturday night. / "
                "Drivers on night routes now work shorter shifts for safety.",
                "Last departure: 4:30 am / Student fare: free",
                "How many riders does the most popular late bus carry on a Saturday? "
                "# 1 # nine hundred|900",
                "What time is the last night bus departure? # 0 # 4:30",
            ),
            _t(
                "Road repairs",
                "Finally, road repairs.",
                "The winter frost left more than two thousand potholes across the city. / "
                "Crews are filling them at night so traffic is not blocked. / "
                "The worst damage is on the ring road near the stadium.",
                "Repair crews on duty: 27 / Completion: end of May",
                "Which road came out of the winter in the poorest state? # 2 # ring",
                "How many repair crews are on duty? # 0 # 27",
            ),
        ),
        (
            "How much does a monthly tram pass cost?",
            "How many electric buses does the city own?",
        ),
    ),
    Talk(
        "eval-museum-review",
        "Museum annual review",
        "Hello everyone, this is the museum's review of the year.",
        "That is the end of our review. Thank you.",
        (
            _t(
                "Visitor numbers",
                "Let me begin with visitor numbers.",
                "The museum welcomed more visitors this year than in any year since it opened. / "
                "School groups made up almost a third of all our guests. / "
                "Sunday mornings were the busiest time of the week.",
                "Total visitors: 412,000 / Online tickets: 64%",
                "What share of the guests came on school trips? # 1 # third",
                "What was the total number of visitors this year? # 0 # 412000",
            ),
            _t(
                "The dinosaur hall",
                "Now let me turn to the dinosaur hall.",
                "The dinosaur hall reopened in March after a complete renovation. / "
                "Its centrepiece is a skeleton of a long necked sauropod found in Argentina. / "
                "Children can now touch real fossil teeth at the discovery table.",
                "Skeleton length: 26 m / Renovation cost: 5.2 million",
                "In which country was the giant skeleton dug up? # 1 # argentina",
                "How long is the skeleton in the dinosaur hall? # 0 # 26",
            ),
            _t(
                "The conservation lab",
                "Next, our conservation lab.",
                "The conservation team restored a seventeenth century painting "
                "of a Dutch harbour. / "
                "Cleaning the varnish alone took them eleven weeks. / "
                "The painting will go on display again in the autumn.",
                "Objects treated: 1,350 / Staff conservators: 9",
                "How many weeks did removing the old varnish take? # 1 # eleven|11",
                "How many objects did the conservation lab treat? # 0 # 1350",
            ),
            _t(
                "Membership",
                "Finally, membership.",
                "Members get free entry and early access to every new exhibition. / "
                "We launched a family membership that covers two adults and up to four children. / "
                "Membership income now pays for the entire education programme.",
                "Members: 18,900 / Annual fee: 65 euros",
                "Who does the family pass let in? # 1 # two|2; four|4",
                "What is the annual membership fee? # 1 # 65",
            ),
        ),
        (
            "What are the museum's opening hours on Mondays?",
            "Who is the director of the museum?",
        ),
    ),
    Talk(
        "eval-island-ecology",
        "Island ecology lecture",
        "Welcome to this lecture on the ecology of our island.",
        "Thank you for coming to the lecture.",
        (
            _t(
                "Seabird colonies",
                "Our first topic is the seabird colonies.",
                "Puffins return to the northern cliffs every April to breed. / "
                "Each pair raises just one chick a year in a burrow. / "
                "Rats brought by ships are the biggest threat to the eggs.",
                "Puffin pairs: 3,200 / Burrows surveyed: 740",
                "What is the main danger to the birds' eggs? # 2 # rats|rat",
                "How many puffin pairs nest on the island? # 0 # 3200",
            ),
            _t(
                "The coral reef",
                "Next, the coral reef.",
                "The reef on the southern shore lost much of its colour during the hot summer. / "
                "Divers found that the deeper corals recovered faster than the shallow ones. / "
                "Volunteers now plant young coral fragments on metal frames.",
                "Peak water temperature: 31.4 C / Bleached area: 38%",
                "Which corals bounced back more quickly after the heat? # 1 # deeper|deep",
                "What was the peak water temperature at the reef? # 0 # 31.4",
            ),
            _t(
                "Invasive plants",
                "Now let me turn to invasive plants.",
                "A climbing vine from the mainland is smothering the native forest. / "
                "Volunteers pulled it out by hand along the coastal path. / "
                "Goats were tried once, but they ate the native shrubs as well.",
                "Hectares cleared: 57 / Volunteer hours: 2,900",
                "Why was using goats against the vine a failure? # 2 # shrubs|shrub",
                "How many hectares of invasive plants were cleared? # 0 # 57",
            ),
            _t(
                "Fresh water",
                "Moving on to fresh water.",
                "The island has only one spring, high up in the central valley. / "
                "In dry years the stream stops flowing before it reaches the sea. / "
                "A small dam now stores rain water for the village.",
                "Rainfall this year: 640 mm / Reservoir size: 12,000 m3",
                "Where does the island's single source of fresh water rise? # 0 # valley",
                "How much rainfall did the island get this year? # 0 # 640",
            ),
            _t(
                "Tourism limits",
                "Our next topic is tourism limits.",
                "Only one ferry a day may now land visitors on the island. / "
                "Guides keep groups on marked trails during the nesting season. / "
                "The landing fee goes straight into the conservation fund.",
                "Daily visitor cap: 150 / Landing fee: 12 pounds",
                "What happens to the money visitors pay when they land? # 2 # conservation",
                "What is the daily cap on visitors? # 0 # 150",
            ),
            _t(
                "Climate records",
                "Finally, climate records.",
                "The weather station on the lighthouse has kept records since nineteen twelve. / "
                "Winters on the island are now clearly shorter than a century ago. / "
                "Storms are also arriving later in the year.",
                "Warming per century: 1.3 C / Frost days per year: 14",
                "Since when has the lighthouse been measuring the weather? # 0 # 1912|nineteen",
                "How many frost days does the island have per year? # 1 # 14",
            ),
        ),
        ("How many seals live on the island?", "When was the lighthouse built?"),
    ),
    Talk(
        "eval-bakery-business",
        "Bakery business review",
        "Good evening, and welcome to our bakery's business review.",
        "That is everything for tonight. Thank you.",
        (
            _t(
                "Sourdough sales",
                "Let me start with sourdough sales.",
                "Sourdough is now our best selling loaf in all three shops. / "
                "We bake it overnight so it is fresh when the doors open at seven. / "
                "Customers told us they prefer a darker, crunchier crust.",
                "Loaves per week: 2,450 / Price per loaf: 4.20 euros",
                "What sort of crust do shoppers like best? # 2 # darker|crunchier|dark|crunchy",
                "How many sourdough loaves are sold per week? # 0 # 2450",
            ),
            _t(
                "Flour prices",
                "Next, flour prices.",
                "The price of organic flour rose sharply after a poor harvest. / "
                "We signed a two year contract with a mill in the next valley. / "
                "That fixes our cost and supports a local farmer.",
                "Flour price rise: 18% / Contract volume: 40 tonnes",
                "How long does the agreement with the mill last? # 1 # two|2",
                "By what percentage did the flour price rise? # 0 # 18",
            ),
            _t(
                "The new cafe",
                "Now let me turn to the new cafe.",
                "The cafe next to the train station opened in September. / "
                "It sells coffee, soup and sandwiches made with yesterday's bread. / "
                "Using day old bread this way cut our food waste a lot.",
                "Seats: 36 / Daily customers: 310",
                "What is done with bread left over from the day before? # 1 # sandwiches|sandwich",
                "How many seats does the new cafe have? # 0 # 36",
            ),
            _t(
                "Staff training",
                "Moving on to staff training.",
                "Every new baker spends two weeks working beside our head baker. / "
                "We also pay for evening classes in pastry and cake decoration. / "
                "Two apprentices passed their final exams this summer.",
                "Training budget: 9,000 euros / Apprentices: 5",
                "Which night courses does the bakery pay for? # 1 # pastry|pastries",
                "How big is the staff training budget? # 0 # 9000",
            ),
            _t(
                "Delivery bikes",
                "Finally, delivery bikes.",
                "Deliveries to hotels now go out on three electric cargo bikes. / "
                "The bikes are quicker than the van in the narrow streets. / "
                "We sold the old diesel van in November.",
                "Deliveries per day: 85 / Range per charge: 60 km",
                "What became of the diesel van? # 2 # sold",
                "How many deliveries go out per day? # 0 # 85",
            ),
        ),
        ("How much does a croissant cost?", "What time does the bakery close on Sundays?"),
    ),
    Talk(
        "eval-software-release",
        "Software release planning",
        "Hi everyone, this is our release planning session.",
        "That is the plan. Thanks, everyone.",
        (
            _t(
                "Offline mode",
                "Our first topic is offline mode.",
                "The mobile app will keep working without a network connection. / "
                "Changes are saved on the phone and synced when the signal returns. / "
                "Offline mode was the most requested feature in the last survey.",
                "Beta testers: 1,200 / Sync conflicts: 0.4%",
                "What happens to edits made while there is no connection? # 1 # synced|sync|saved",
                "How many beta testers tried offline mode? # 0 # 1200",
            ),
            _t(
                "The dark theme",
                "Next, the dark theme.",
                "The dark theme follows the phone's own setting by default. / "
                "Our designers checked every screen for readable contrast. / "
                "It also saves battery on phones with an OLED display.",
                "Screens updated: 142 / Release: version 5.3",
                "On which kind of screen does the dark look extend battery life? # 2 # oled|o led",
                "How many screens were updated for the dark theme? # 0 # 142",
            ),
            _t(
                "Crash reports",
                "Now let me turn to crash reports.",
                "Most crashes last month came from one faulty image library. / "
                "Replacing that library removed nine out of ten crash reports. / "
                "We now test every release on the ten oldest phones we support.",
                "Crash free sessions: 99.6% / Median fix time: 3 days",
                "What caused most of the app failures last month? # 0 # image; library",
                "What share of sessions were crash free? # 0 # 99.6",
            ),
            _t(
                "The release schedule",
                "Finally, the release schedule.",
                "From now on we will ship a small release every two weeks. / "
                "Large features will hide behind switches until they are ready. / "
                "The first release on the new schedule goes out on the fourteenth.",
                "Next release: 5.4 / Code freeze: Thursday noon",
                "How often will new versions go out? # 0 # two|2|fortnight",
                "When is the code freeze? # 1 # thursday",
            ),
        ),
        (
            "How many engineers work on the mobile app?",
            "Which programming language is the app written in?",
        ),
    ),
)
