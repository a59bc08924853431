"""Word lists of the generated NER corpus (ner_corpus.py): names, places, organisations, dates and the sentence
templates they fill. Names that are also places (Jordan, Georgia, Washington, ...) and months that are also first
names (May, April, June, August) are listed in both, so only the context tells the type.
"""

FIRST_NAMES = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Margaret Steven Sandra Paul
Ashley Andrew Emily Joshua Donna Kevin Michelle Brian Carol George Amanda Timothy Melissa Ronald Deborah Edward
Stephanie Jason Rebecca Ahmed Fatima Wei Mei Hiroshi Yuki Raj Priya Olga Ivan Lars Ingrid Pierre Amelie Carlos Lucia
Mateo Sofia Kwame Amara Omar Leila Sven Astrid Diego Valentina Hans Greta Tariq Nadia Gary Helen Frank Anna Peter
Laura Samuel Ruth Henry Alice Walter Grace Arthur Julia Oscar Clara Victor Irene Felix Nora Hugo Vera Bruno Elena
Marco Chiara Luca Giulia Jan Eva Tomas Petra Mikhail Natalia Dmitri Svetlana Kenji Aiko Min Jun Ravi Anjali Arjun
Deepa Chidi Ngozi Kofi Abena Youssef Amina Karim Samira Erik Freya Nils Sigrid Pablo Camila Andres Paula Jonas
Miriam Simon Rosa""".split()

LAST_NAMES = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell
Mitchell Carter Roberts Tanaka Sato Chen Wang Kumar Patel Ivanov Petrova Schmidt Fischer Dubois Moreau Rossi Bianchi
Silva Santos Okafor Mensah Haddad Nasser Larsen Nilsson Kowalski Novak Murphy Kelly Sullivan Walsh Byrne Evans
Hughes Edwards Wood Turner Parker Collins Morris Bennett Cooper Reed Bailey Bell Murray Ward Price Gray Foster
Hoffmann Becker Wagner Weber Schulz Keller Meyer Bauer Richter Klein Wolf Ferrari Esposito Romano Colombo Ricci
Marino Greco Conti Costa Pereira Oliveira Ferreira Almeida Yamamoto Nakamura Kobayashi Watanabe Suzuki Zhang Liu
Huang Zhao Singh Sharma Gupta Reddy Mehta Adeyemi Okonkwo Boateng Diallo Mansour Khalil Jensen Hansen Berg
Lindgren Horvath Nagy Popescu Dimitrov""".split()

# Also places (listed in COUNTRIES / CITIES / REGIONS below): only the context says which.
PERSON_PLACE = ["Jordan", "Georgia", "Washington", "Chelsea", "Florence", "Austin", "Victoria", "Sydney", "Madison",
                "Charlotte", "Orlando", "Houston", "Dallas", "Lincoln", "Paris"]
# Also months (MONTHS below): "May said ..." is a person, "in May" a date.
PERSON_MONTH = ["May", "April", "June", "August"]

COUNTRIES = """France Germany Spain Italy Portugal Norway Sweden Finland Poland Greece Turkey Egypt Kenya Nigeria Ghana
Morocco Brazil Argentina Chile Peru Mexico Canada Japan China India Pakistan Vietnam Thailand Indonesia Australia
Jordan Georgia Lebanon Iran Iraq Israel Ukraine Russia Denmark Austria""".split() + [
    "United States", "United Kingdom", "South Africa", "New Zealand", "Sri Lanka", "Czech Republic", "South Korea",
    "Saudi Arabia", "Costa Rica", "the Netherlands"]

CITIES = """London Berlin Madrid Rome Lisbon Oslo Stockholm Helsinki Warsaw Athens Istanbul Cairo Nairobi Lagos Accra
Casablanca Toronto Montreal Tokyo Osaka Beijing Shanghai Mumbai Karachi Hanoi Bangkok Jakarta Melbourne Sydney Paris
Austin Houston Dallas Orlando Florence Chelsea Lincoln Washington Boston Chicago Seattle Denver Vienna Prague Dublin
Geneva Zurich Munich Hamburg Lyon Marseille Barcelona Seville Naples Milan""".split() + [
    "New York", "Los Angeles", "San Francisco", "Hong Kong", "Rio de Janeiro", "Buenos Aires", "Kuala Lumpur",
    "Cape Town", "Tel Aviv", "New Delhi", "Mexico City", "Salt Lake City", "Abu Dhabi", "St. Petersburg"]

REGIONS = ["Bavaria", "Catalonia", "Patagonia", "Siberia", "Tuscany", "Victoria", "Madison County", "Texas",
           "California", "Scotland", "Wales", "Queensland", "Ontario", "the Sahara", "the Alps", "Silicon Valley"]

COMPANIES = """Siemens Toyota Microsoft Nestle Unilever Samsung Nokia Ericsson Volvo Airbus Boeing Shell Pfizer Novartis
Philips Heineken Adidas Nike Intel Oracle Spotify Netflix Reuters Bloomberg""".split() + [
    "General Electric", "Deutsche Bank", "Goldman Sachs", "Morgan Stanley", "British Airways", "Air France",
    "Royal Dutch Shell", "Procter & Gamble", "Johnson & Johnson", "Coca-Cola", "Rolls-Royce", "Banco Santander"]
INSTITUTIONS = ["United Nations", "World Bank", "World Health Organization", "European Union", "Red Cross",
                "International Monetary Fund", "European Central Bank", "Federal Reserve", "NATO", "UNESCO",
                "Amnesty International", "Greenpeace", "Bank of England", "Supreme Court", "Harvard University",
                "Oxford University", "Stanford University", "BBC", "Chelsea", "Real Madrid", "Manchester United",
                "Barcelona", "Ajax"]
# Compositional names: an organisation that holds a place or a person name.
ORG_PATTERNS = ["University of {city}", "Bank of {country}", "{city} City Council", "{last} Holdings",
                "{last} & Partners", "{city} Symphony Orchestra", "{last} Foundation", "{country} Airlines",
                "{city} General Hospital", "{last} Motors"]

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DATE_PATTERNS = ["{day} {month} {year}", "{month} {day} , {year}", "{month} {year}", "{month} {day}", "{weekday}",
                 "{day} {month}", "{year}", "{month}"]
DATE_PATTERNS_BY_PREPOSITION = {"in": ["{month} {year}", "{year}", "{month}"],
                                "on": ["{day} {month} {year}", "{month} {day} , {year}", "{month} {day}",
                                       "{weekday}", "{day} {month}"]}
TITLES = ["Mr.", "Ms.", "Dr.", "Professor", "President", "Senator", "Judge", "coach", "minister"]

# Templates: {PER} {LOC} {ORG} {DATE} are entities; {PLACE_PER} is a name that is also a place, used as a person.
# Words are separated by spaces, punctuation included, so each space-separated item is one word of the CoNLL file.
TEMPLATES = [
    "{PER} said on {DATE} that {ORG} would open an office in {LOC} .",
    "{PER} , the chief executive of {ORG} , flew to {LOC} on {DATE} .",
    "{ORG} reported higher profits for {DATE} , according to {PER} .",
    "Shares of {ORG} fell sharply in {LOC} on {DATE} .",
    "{PER} met {PER} in {LOC} to discuss the merger with {ORG} .",
    "The mayor of {LOC} praised {ORG} for its work since {DATE} .",
    "A spokesman for {ORG} declined to comment on the report .",
    "{PER} was born in {LOC} on {DATE} .",
    "{PER} joined {ORG} in {DATE} after ten years in {LOC} .",
    "Talks between {ORG} and {ORG} resumed in {LOC} on {DATE} .",
    "{TITLE} {PER} told reporters in {LOC} that the deal was off .",
    "Heavy rain hit {LOC} and {LOC} on {DATE} .",
    "{PER} scored twice as {ORG} beat {ORG} on {DATE} .",
    "Thousands of fans travelled from {LOC} to see {PER} play .",
    "The {ORG} office in {LOC} will close by {DATE} .",
    "According to {ORG} , inflation in {LOC} rose in {DATE} .",
    "{PER} and {PER} will visit {LOC} in {DATE} .",
    "Police in {LOC} arrested two men on {DATE} , {PER} said .",
    "{ORG} hired {PER} as its new director .",
    "We flew from {LOC} to {LOC} with {ORG} on {DATE} .",
    "{PER} thanked {PER} for the help .",
    "The report by {ORG} was published on {DATE} .",
    "I met {PER} at the airport in {LOC} .",
    "{PER} has lived in {LOC} since {DATE} .",
    "Exports from {LOC} to {LOC} grew by 4 percent last year .",
    "{PER} 's new book about {LOC} comes out on {DATE} .",
    "The court in {LOC} fined {ORG} on {DATE} .",
    "Analysts expect {ORG} to cut jobs before {DATE} .",
    "Prices went up again this week , traders said .",
    "{PER} , who grew up in {LOC} , now works for {ORG} .",
    "In an interview with {ORG} , {PER} criticised the plan .",
    "{PER} will succeed {PER} as head of {ORG} on {DATE} .",
    "Doctors said {PER} was in a stable condition .",
    "{PER} won the race in {LOC} ahead of {PER} .",
    "The film , directed by {PER} , opens in {LOC} on {DATE} .",
    "{PER} 's lawyer said the case would go to {ORG} .",
    "Fans cheered as {PER} arrived .",
    "The meeting was postponed until further notice .",
    "Nobody expected the storm to be so strong .",
    "Sales of electric cars doubled in {DATE} .",
]
