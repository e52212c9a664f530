package funnelfake

// All constants behind generated data live here: the enums as documented in
// ../shared/reference/funnel.md and CONTRACT.md, and the names, streets and cities used to make
// records look real.

// Client statuses (§6.2), weighted by repetition: most clients are still prospects.
var prospectStatuses = []string{
	"Prospect", "Prospect", "Prospect", "Prospect", "Toured", "Toured", "Applicant", "Resident", "Resident",
	"Did Not Rent", "Former Resident", "Vendor/Spam", "Client Merged",
}

// Renewal statuses [chosen enum], weighted; Seed adds an unknown value on its own.
var renewalStatuses = []string{
	"not-started", "not-started", "offered", "offered", "pending", "signed", "signed", "declined", "notice-given",
}

// Layouts (§6.2), a subset of the documented enum.
var layouts = []string{"Studio", "1 Bedroom", "1 Bedroom w/ Den", "2 Bedroom", "2 Bedroom w/ Den", "3 Bedroom", "Loft"}

// Lead sources as free text, as Funnel stores them.
var leadSources = []string{
	"Google My Business", "Apartments.com", "Zillow", "Property Website", "Walk-In", "Resident Referral",
	"Rent.com", "Facebook", "Apartment List", "Phone",
}

// agentEmails are the leasing agents: agents[] entries and appointment agents.
var agentEmails = []string{
	"maria.lopez@leasing.example.com", "devon.price@leasing.example.com", "aisha.khan@leasing.example.com",
	"tom.becker@leasing.example.com", "nina.ortiz@leasing.example.com",
}

var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Isabella", "Mason",
	"Mia", "Ethan", "Harper", "Logan", "Evelyn", "Aiden", "Abigail", "Jackson", "Ella", "Sebastian",
	"Camila", "Mateo", "Aria", "Levi", "Scarlett", "Jayden", "Chloe", "Owen", "Zoe", "Gabriel",
	"Nora", "Julian", "Lily", "Isaac", "Hannah", "Omar", "Fatima", "Hiro", "Ananya", "Kwame",
}

var lastNames = []string{
	"Reyes", "Kim", "Nguyen", "Okafor", "Schmidt", "Rossi", "Silva", "Cohen", "Murphy", "Kowalski",
	"Tanaka", "Haddad", "Ivanova", "Mensah", "Dubois", "Larsen", "Castillo", "Chen", "Singh", "Brooks",
	"Foster", "Bennett", "Ward", "Hughes", "Price", "Sullivan", "Russell", "Ortiz", "Jenkins", "Perry",
}

// emailDomains differ from the RentEngine fake's, so generated people never collide across fakes.
var emailDomains = []string{"fastmail.com", "proton.me", "gmx.com", "mail.com", "zoho.com"}

// areaCodes are real US area codes that the RentEngine fake does not use; the local part never
// starts with 0 or 1.
var areaCodes = []string{"415", "628", "206", "312", "617", "503", "702", "858", "971", "347"}

var streetNames = []string{
	"Harbor View Dr", "Canal St", "Juniper Ave", "Sycamore Ct", "Lakeshore Blvd", "Mission St", "Aspen Way",
	"Granite Pkwy", "Bayside Ave", "Cypress Row",
}

var communityPrefixes = []string{"The", "Residences at", "Lofts at", "Villas of", "Commons at"}

var communityNames = []string{
	"Harbor Point", "Juniper Flats", "Mission Yards", "Aspen Ridge", "Bayside Commons", "Granite Park",
	"Cypress Landing", "Canal Works",
}

type fcity struct{ name, state, zip, tz string }

var cities = []fcity{
	{"San Francisco", "CA", "941", "America/Los_Angeles"}, {"Seattle", "WA", "981", "America/Los_Angeles"},
	{"Chicago", "IL", "606", "America/Chicago"}, {"Boston", "MA", "021", "America/New_York"},
	{"Portland", "OR", "972", "America/Los_Angeles"}, {"Las Vegas", "NV", "891", "America/Los_Angeles"},
	{"San Diego", "CA", "921", "America/Los_Angeles"}, {"Brooklyn", "NY", "112", "America/New_York"},
}
