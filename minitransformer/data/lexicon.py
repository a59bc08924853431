"""The word lists the sentiment corpus generator draws from (polarity lives here, grammar in corpus.py)."""

# Things a review talks about: (noun phrase, pronoun used when it is repeated). Films and products are mixed
# so that no subject predicts the label; every subject is used with both polarities equally often.
SUBJECTS = [
    "the movie", "the film", "the plot", "the acting", "the soundtrack", "the ending", "the script",
    "the dialogue", "the cast", "the cinematography", "the pacing", "the story", "the characters",
    "the visuals", "the special effects", "the director's work", "the lead actor", "the villain",
    "the sequel", "the opening scene", "the score", "the humor", "the editing", "the final act",
    "this phone", "the battery", "the screen", "the camera", "the service", "the staff", "the delivery",
    "the packaging", "the price", "this laptop", "the keyboard", "the headphones", "the sound quality",
    "the app", "the latest update", "the restaurant", "the food", "the dessert", "the hotel room",
    "the book", "this novel", "the last chapter", "the game", "the controls", "the manual", "the setup",
    "the customer support", "the charger", "this blender", "the coffee maker", "the mattress",
]

# Objects of a verb ("I loved ___"): the same pool as subjects plus pronoun-like references.
OBJECTS = SUBJECTS + ["it", "this one", "the whole thing", "every minute of it", "the experience"]

POSITIVE_ADJECTIVES = [
    "good", "great", "excellent", "superb", "wonderful", "brilliant", "delightful", "charming",
    "enjoyable", "fantastic", "impressive", "moving", "gripping", "clever", "beautiful", "solid", "fun",
    "memorable", "outstanding", "stunning", "engaging", "reliable", "helpful", "friendly", "polished",
    "satisfying", "pleasant", "lovely", "terrific", "smart", "fresh", "elegant", "thoughtful", "sharp",
]

NEGATIVE_ADJECTIVES = [
    "bad", "terrible", "awful", "dull", "boring", "bland", "poor", "weak", "disappointing", "tedious",
    "mediocre", "clumsy", "forgettable", "annoying", "messy", "flat", "lifeless", "painful",
    "predictable", "cheap", "unreliable", "rude", "confusing", "sloppy", "dreadful", "horrible", "lazy",
    "shallow", "ugly", "stale", "pointless", "frustrating", "bloated", "awkward",
]

# Nouns for "it was (not) a ___ <noun>": the container the adjective describes.
HEAD_NOUNS = ["film", "movie", "product", "purchase", "experience", "story", "read", "show", "device",
              "meal", "game", "choice"]

# Verbs whose subject is the reviewer ("I ___ the ending"), in the past tense and in the base form for "did not".
POSITIVE_VERBS = [("loved", "love"), ("enjoyed", "enjoy"), ("liked", "like"), ("adored", "adore"),
                  ("appreciated", "appreciate"), ("admired", "admire"), ("relished", "relish"),
                  ("treasured", "treasure")]
NEGATIVE_VERBS = [("hated", "hate"), ("disliked", "dislike"), ("regretted", "regret"),
                  ("resented", "resent"), ("detested", "detest"), ("loathed", "loathe"),
                  ("despised", "despise"), ("abhorred", "abhor")]

# Linking verbs for "<subject> ___ <adjective>", with the "did not" form for negation.
COPULAS = [("was", "was not"), ("was", "wasn't"), ("is", "is not"), ("is", "isn't"),
           ("felt", "did not feel"), ("seemed", "did not seem"), ("looked", "never looked"),
           ("was", "was never"), ("turned out", "never turned out"), ("was", "was hardly"),
           ("was", "was far from")]

# Intensifiers and hedges change strength, never the sign, so they are drawn independently of the label.
INTENSIFIERS = ["very", "extremely", "really", "truly", "incredibly", "remarkably", "genuinely",
                "somewhat", "a bit", "rather", "fairly", "quite", "slightly", "a little", "pretty"]

# Verb phrases whose subject is the thing reviewed ("the ending ___"): (past tense, base form after "did not").
POSITIVE_EFFECTS = [("impressed me", "impress me"), ("won me over", "win me over"),
                    ("exceeded my expectations", "exceed my expectations"),
                    ("held my attention", "hold my attention"), ("made my day", "make my day"),
                    ("delighted me", "delight me"), ("worked perfectly", "work perfectly"),
                    ("grew on me", "grow on me")]
NEGATIVE_EFFECTS = [("bored me", "bore me"), ("let me down", "let me down"), ("annoyed me", "annoy me"),
                    ("wasted my time", "waste my time"), ("put me to sleep", "put me to sleep"),
                    ("fell apart", "fall apart"), ("disappointed me", "disappoint me"),
                    ("irritated me", "irritate me")]

# What the reviewer would do next ("I would ___", "I would never ___").
POSITIVE_ACTIONS = ["recommend it to a friend", "watch it again", "buy it again", "go back",
                    "recommend it to anyone", "pay full price for it", "get another one"]
NEGATIVE_ACTIONS = ["ask for my money back", "avoid it", "warn my friends about it", "return it",
                    "want those hours back", "throw it away", "complain about it"]

# Short plain sentences ("the worst film I have ever seen", "what a lovely meal"): a superlative and the noun it
# ranks, with the verb that goes with the noun in "... I have ever ___".
SUPERLATIVES = ("best", "worst")            # positive, negative
RANKED_NOUNS = [("film", "seen"), ("movie", "seen"), ("show", "seen"), ("story", "read"), ("book", "read"),
                ("product", "bought"), ("phone", "owned"), ("meal", "had"), ("game", "played"),
                ("hotel", "stayed in"), ("experience", "had"), ("purchase", "made")]
SHORT_LEADS = ["", "", "this was ", "it was ", "honestly, ", "easily "]

# Contrast. In a "but" template the second clause {b} decides; an "although" template marks its own clause
# {a} as the conceded one, which comes first ("Although a, b") or last ("b, although a"). {b} always decides.
BUT_TEMPLATES = ["{a}, but {b}", "{a}, yet {b}", "{a}; however, {b}", "{a}, but in the end {b}",
                 "{a}. Still, {b}", "{a}, but honestly {b}", "{a}. That said, {b}", "{a}, but overall {b}"]
ALTHOUGH_FIRST_TEMPLATES = ["although {a}, {b}", "though {a}, {b}", "even though {a}, {b}",
                            "while {a}, {b}", "despite the fact that {a}, {b}", "even if {a}, {b}"]
ALTHOUGH_LAST_TEMPLATES = ["{b}, although {a}", "{b}, even though {a}", "{b}, though {a}",
                           "{b} even if {a}", "{b}, despite the fact that {a}", "{b}, although honestly {a}"]
# Agreement: both clauses carry the label's polarity, so connectives alone never reveal it.
AGREE_TEMPLATES = ["{a}, and {b}", "{a} and {b}", "{a}; also, {b}", "{a}. Plus, {b}",
                   "{a}, and what is more, {b}", "{a}. On top of that, {b}"]

# Neutral filler: said about the viewing or the purchase, never about quality.
FILLER_TEMPLATES = [
    "I saw it on a {day} with my {person}", "we watched it last {day} at home",
    "I bought it for my {person} last {period}", "my {person} recommended it to me",
    "I read about it in a {place}", "it arrived on a {day} afternoon", "we went there on a {day}",
    "I finished it on the train to {city}", "my {person} and I tried it in {city}",
    "I picked it up at a {place}", "it took me about a {period} to get through",
    "I watched it on a long flight to {city}", "we ordered it on a rainy {day}",
    "I used it every day for a {period}", "the package came in a brown box",
    "it was the first one I tried this {period}", "I heard about it from my {person}",
]
FILLER_SLOTS = {
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "person": ["brother", "sister", "mother", "father", "friend", "cousin", "neighbor", "roommate",
               "aunt", "uncle", "wife", "husband", "coworker"],
    "period": ["week", "month", "year", "weekend", "summer", "winter"],
    "place": ["magazine", "newspaper", "shop downtown", "market", "blog", "bookstore", "mall"],
    "city": ["Boston", "Chicago", "Denver", "Seattle", "Austin", "Toronto", "Dublin", "Lisbon"],
}

# Words that carry the grammar of polarity are never misspelled: a typo there would change the meaning.
# (Words shorter than four letters, such as "not", "but", "yet", are never misspelled anyway.)
PROTECTED = {"never", "hardly", "from", "nobody", "although", "though", "even", "while", "despite", "however",
             "still", "that", "said", "fact", "also", "plus", "what", "more", "wasn", "isn", "didn", "wouldn",
             "weren", "aren", "would", "overall", "honestly"}

# Subjects that take "were"/"are" instead of "was"/"is".
PLURAL_SUBJECTS = {"the characters", "the visuals", "the special effects", "the headphones", "the controls"}
