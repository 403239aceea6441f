"""The other five eval talks (``evals.talk_bank`` has the first five and the shapes), the
off-topic questions, and ``TALKS``: all ten."""

from __future__ import annotations

from evals.talk_bank import FIRST_TALKS, Talk, _t

MORE_TALKS = (
    Talk(
        "eval-hospital-quarter",
        "Hospital quarterly meeting",
        "Good afternoon, and welcome to the hospital's quarterly meeting.",
        "Thank you for your time today.",
        (
            _t(
                "Emergency waiting times",
                "Let me start with emergency waiting times.",
                "Patients in the emergency department now wait less than they did last year. / "
                "A nurse sees every new arrival within fifteen minutes. / "
                "The extra evening doctor made the biggest difference.",
                "Median wait: 47 min / Patients per day: 260",
                "Which change helped the emergency department most? # 2 # evening; doctor",
                "What is the median wait in the emergency department? # 0 # 47",
            ),
            _t(
                "The new scanner",
                "Next, the new scanner.",
                "Our new magnetic resonance scanner arrived in August. / "
                "It is quieter, so fewer patients need a sedative. / "
                "Scans of the knee now take about twenty minutes.",
                "Scans per week: 190 / Cost: 1.8 million",
                "Why do fewer people need calming drugs for the new machine? # 1 # quieter|quiet",
                "How many scans are done per week? # 0 # 190",
            ),
            _t(
                "Hand hygiene",
                "Moving on to hand hygiene.",
                "Hand gel dispensers now hang beside every bed. / "
                "Infection rates on the surgical ward fell after the campaign. / "
                "Students from the nursing school ran the observation checks.",
                "Compliance: 94% / Dispensers installed: 1,100",
                "Who watched and recorded whether staff cleaned their hands? "
                "# 2 # students|student",
                "What is the hand hygiene compliance rate? # 0 # 94",
            ),
            _t(
                "Night shifts",
                "Now let me turn to night shifts.",
                "Night shifts are now ten hours instead of twelve. / "
                "Staff asked for the change in the spring survey. / "
                "Sick leave among night staff has already gone down.",
                "Night staff: 340 / Sick days down: 15%",
                "How many hours does an overnight shift last now? # 0 # ten|10",
                "By how much did sick days among night staff fall? # 1 # 15",
            ),
            _t(
                "The hospital garden",
                "Our next topic is the hospital garden.",
                "The roof garden above the children's ward opened in June. / "
                "Patients who can walk are encouraged to spend an hour there each day. / "
                "Volunteers from the town look after the plants.",
                "Garden area: 600 m2 / Plant species: 75",
                "Who takes care of the plants on the roof? # 2 # volunteers|volunteer",
                "How many plant species grow in the hospital garden? # 1 # 75",
            ),
            _t(
                "Staff parking",
                "Finally, staff parking.",
                "The staff car park will close for rebuilding in January. / "
                "A shuttle bus will run from the football ground every ten minutes. / "
                "Staff who cycle to work can use the new showers.",
                "Spaces after rebuild: 820 / Shuttle hours: 6am to 10pm",
                "Where will the shuttle for employees start from? # 1 # football",
                "How many spaces will the rebuilt staff car park have? # 0 # 820",
            ),
        ),
        ("How many beds does the hospital have?", "Who is the head of the surgical ward?"),
    ),
    Talk(
        "eval-farm-cooperative",
        "Farm cooperative meeting",
        "Welcome, everyone, to the autumn meeting of the farm cooperative.",
        "That closes the meeting. Safe travels home.",
        (
            _t(
                "The wheat harvest",
                "Let me begin with the wheat harvest.",
                "The wheat harvest was late because of the wet June. / "
                "Yields were still close to our ten year average. / "
                "Grain from the hill farms had the best protein levels.",
                "Wheat yield: 7.9 t/ha / Harvest finished: 28 August",
                "Why did the grain come in late this year? # 0 # wet|rain|rainy",
                "What was the wheat yield per hectare? # 0 # 7.9",
            ),
            _t(
                "Irrigation",
                "Next, irrigation.",
                "Three members tested drip irrigation on their vegetable fields. / "
                "It used far less water than the old sprinklers. / "
                "The cooperative will share the cost of the pipes next year.",
                "Water saved: 35% / Fields on drip: 11",
                "What watering method did the drip system beat? # 1 # sprinklers|sprinkler",
                "How much water did drip irrigation save? # 0 # 35",
            ),
            _t(
                "The farm shop",
                "Now let me turn to the farm shop.",
                "The farm shop now sells cheese from our own dairy members. / "
                "Saturday markets bring in half of the shop's income. / "
                "We are adding an online order form for weekly vegetable boxes.",
                "Shop turnover: 210,000 euros / Box subscribers: 95",
                "What earns the shop half of its money? # 1 # saturday|market|markets",
                "How many people subscribe to the vegetable boxes? # 1 # 95",
            ),
            _t(
                "Machinery sharing",
                "Moving on to machinery sharing.",
                "Members can now book the shared combine harvester through an app. / "
                "Sharing one large tractor saves each farm the cost of buying its own. / "
                "Repairs are paid from a common maintenance fund.",
                "Machines shared: 14 / Bookings this year: 460",
                "How do farmers reserve the combine? # 0 # app",
                "How many machines does the cooperative share? # 0 # 14",
            ),
            _t(
                "Soil health",
                "Finally, soil health.",
                "More members are sowing clover between crops to feed the soil. / "
                "Earthworm counts were higher in fields that were not ploughed. / "
                "We will test the soil of every field again in the autumn.",
                "Fields tested: 230 / Organic matter: 3.1%",
                "What are farmers growing between their main crops? # 0 # clover",
                "What is the organic matter content of the soil? # 1 # 3.1",
            ),
        ),
        (
            "What price did the cooperative get for its milk?",
            "How many members does the cooperative have?",
        ),
    ),
    Talk(
        "eval-school-board",
        "School board update",
        "Good evening, parents, and welcome to the school board update.",
        "Thank you, and good night.",
        (
            _t(
                "The new library",
                "Let me start with the new library.",
                "The school library moved into the old gym over the summer. / "
                "It now has quiet rooms for exam revision. / "
                "Pupils borrowed twice as many books in the first term.",
                "Books: 14,500 / Study places: 120",
                "Where can the library be found now? # 0 # gym",
                "How many books does the school library hold? # 0 # 14500",
            ),
            _t(
                "School meals",
                "Next, school meals.",
                "Lunches are now cooked in our own kitchen instead of being delivered. / "
                "The cooks use vegetables from local farms whenever they can. / "
                "Pupils voted pasta bake their favourite dish.",
                "Meals per day: 680 / Price per meal: 2.80",
                "Which lunch did the children like best? # 2 # pasta",
                "How many school meals are served per day? # 0 # 680",
            ),
            _t(
                "Sports day",
                "Now let me turn to sports day.",
                "Sports day moves from June to the end of May this year. / "
                "Parents are invited to join the relay race. / "
                "The running track was resurfaced in the spring holiday.",
                "Events: 22 / Medals: 150",
                "Who besides the pupils may run in the relay? # 1 # parents|parent",
                "How many events are there on sports day? # 0 # 22",
            ),
            _t(
                "The homework policy",
                "Finally, the homework policy.",
                "Younger pupils will get no homework on weekends. / "
                "Older pupils get a weekly plan instead of daily tasks. / "
                "Teachers will review the policy after one year.",
                "Maximum per night: 45 min / Survey replies: 1,020",
                "When are the youngest children free of homework? # 0 # weekends|weekend",
                "What is the maximum homework per night? # 0 # 45",
            ),
        ),
        ("How many teachers work at the school?", "When does the school year start?"),
    ),
    Talk(
        "eval-mars-mission",
        "Space mission briefing",
        "Good morning, and welcome to the mission briefing.",
        "That ends the briefing. Thank you.",
        (
            _t(
                "The launch",
                "Our first topic is the launch.",
                "The probe launched on a clear morning after two delays for wind. / "
                "The rocket's second stage placed it on course for Mars. / "
                "Engineers confirmed the solar panels opened an hour later.",
                "Launch mass: 2,100 kg / Launch site: Kourou",
                "What held the launch up twice? # 0 # wind|winds|windy",
                "What was the probe's mass at launch? # 0 # 2100",
            ),
            _t(
                "The cruise",
                "Next, the cruise.",
                "The journey to Mars will take about seven months. / "
                "During the cruise the team will test the instruments one by one. / "
                "Small engine burns will correct the path twice.",
                "Distance: 480 million km / Arrival: 3 February",
                "How long is the trip to the red planet? # 0 # seven|7",
                "What is the probe's arrival date? # 1 # february",
            ),
            _t(
                "The camera",
                "Now let me turn to the camera.",
                "The main camera can see details as small as a kitchen table from orbit. / "
                "It was built by a university team in Switzerland. / "
                "Its first test picture showed the Moon as a thin crescent.",
                "Resolution: 30 cm per pixel / Camera weight: 18 kg",
                "Which country was the imaging instrument made in? # 1 # switzerland|swiss",
                "What is the camera's resolution? # 0 # 30",
            ),
            _t(
                "Landing sites",
                "Moving on to landing sites.",
                "Scientists have narrowed the landing sites down to an old river delta. / "
                "River deltas are good places to look for signs of past life. / "
                "The final choice will be made after the first orbits.",
                "Candidate sites: 3 / Landing ellipse: 10 km",
                "What kind of terrain will the probe touch down on? # 0 # delta",
                "How many candidate landing sites are there? # 0 # 3|three",
            ),
            _t(
                "Public outreach",
                "Finally, public outreach.",
                "Schools can follow the mission on a live website. / "
                "Children's drawings were engraved on a small metal plate on the probe. / "
                "We will stream the arrival at Mars with a live commentary.",
                "Website visits: 2.4 million / Drawings sent: 45,000",
                "What is on the metal plate the spacecraft carries? # 1 # drawings|drawing",
                "How many drawings were sent in? # 1 # 45000",
            ),
        ),
        ("How much fuel does the probe carry?", "Who is the mission's lead scientist?"),
    ),
    Talk(
        "eval-coffee-roastery",
        "Coffee roastery workshop",
        "Hello, and welcome to our coffee roastery workshop.",
        "Thanks for joining us, and enjoy your coffee.",
        (
            _t(
                "Green beans",
                "Let me start with green beans.",
                "We buy green beans directly from two farms in Ethiopia and Colombia. / "
                "Buying direct lets us pay the farmers well above the market price. / "
                "The beans arrive by ship in jute sacks.",
                "Sacks per year: 640 / Price premium: 40%",
                "Which countries do the raw beans come from? # 0 # ethiopia; colombia",
                "How many sacks of beans are bought per year? # 0 # 640",
            ),
            _t(
                "Roasting profiles",
                "Next, roasting profiles.",
                "Light roasts keep more of the fruity flavour of the bean. / "
                "Dark roasts taste of chocolate but lose some of that character. / "
                "Every batch is recorded so we can repeat a good roast exactly.",
                "Batch size: 15 kg / Roast time: 12 min",
                "What flavour do the darker roasts have? # 1 # chocolate",
                "How big is one roasting batch? # 0 # 15",
            ),
            _t(
                "Grinding",
                "Now let me turn to grinding.",
                "A finer grind suits espresso, and a coarser one suits a filter. / "
                "Grind just before brewing, because ground coffee goes stale quickly. / "
                "Our burr grinders are cleaned every evening.",
                "Espresso grind: 0.3 mm / Filter grind: 0.8 mm",
                "Why should the beans be ground right before making coffee? # 1 # stale",
                "What grind size suits espresso? # 0 # 0.3",
            ),
            _t(
                "Water quality",
                "Moving on to water quality.",
                "Coffee is almost all water, so the water matters a great deal. / "
                "Very hard water makes coffee taste flat and chalky. / "
                "We filter the water in the shop to soften it.",
                "Ideal hardness: 50 to 100 ppm / Brew temperature: 93 C",
                "How does very hard water change the taste of a cup? # 1 # flat|chalky",
                "What is the ideal brew temperature? # 1 # 93",
            ),
            _t(
                "Packaging",
                "Our next topic is packaging.",
                "Our bags now have a one way valve that lets gas out but no air in. / "
                "The new bags can go in the paper recycling. / "
                "We print the roast date on every bag.",
                "Bag size: 250 g / Best within: 6 weeks",
                "Which date is printed on each bag? # 2 # roast|roasted|roasting",
                "How much coffee does one bag hold? # 0 # 250",
            ),
            _t(
                "Tasting sessions",
                "Finally, tasting sessions.",
                "Every Friday we hold a free tasting for customers. / "
                "Tasters slurp the coffee loudly to spread it across the tongue. / "
                "Scores from the tastings decide which beans we buy next season.",
                "Coffees per session: 8 / Score scale: 100 points",
                "Why do the tasters slurp so noisily? # 1 # tongue|spread",
                "How many coffees are tasted in each session? # 0 # 8|eight",
            ),
        ),
        ("How much does a bag of coffee cost?", "Who founded the roastery?"),
    ),
)

TALKS = FIRST_TALKS + MORE_TALKS

# Questions about nothing any talk says: each must abstain.
OFF_TOPIC = (
    "What is the capital of Peru?",
    "How tall is Mount Everest?",
    "How many moons does Jupiter have?",
    "Recommend a good science fiction novel.",
    "What is the best way to learn the violin?",
    "How do I change a flat tyre?",
    "What is the speed of light?",
    "How do I reset my wifi router?",
    "What language is spoken in Brazil?",
    "How many players are on a basketball team?",
    "What is the recipe for guacamole?",
    "When did the Roman empire fall?",
    "How do I knit a scarf?",
    "What is the tallest building in the world?",
    "How do you play chess?",
    "What is the chemical symbol for gold?",
    "How long do cats live?",
    "Which planet is closest to the sun?",
    "Who wrote the play Hamlet?",
    "How do I make a paper aeroplane?",
)
