package rentenginefake

// All constants behind generated data live here: the enums as documented in
// ../shared/reference/rentengine.md (§6), and the names, streets and cities used to make records
// look real. Everything is plain ASCII without quotes or backslashes, which lets the seeder write
// JSON strings without escaping.

// DefaultAccountID is the account that Seed puts units in when SeedOptions.AccountID is empty.
const DefaultAccountID = "3f6c2a9e-5b7d-4e51-9a0c-2d8e4f7b1c35"

// Leasing event types (§6.1) that the fake generates or treats specially; the client's
// contract.go has the complete documented list. Upstream adds types over time.
const (
	EventNew                   = "New"
	EventContactedAwaitingInfo = "Contacted, Awaiting Information" // one value, comma included
	EventShowingDesired        = "Showing Desired"
	EventShowingScheduled      = "Showing Scheduled"
	EventShowingComplete       = "Showing Complete"
	EventApplicationSent       = "Application Sent to Prospect"
	EventApplicationReceived   = "Application Received"
	EventApplicationApproved   = "Application Approved"
	EventLeaseSigned           = "Lease Signed"
	EventMovedIn               = "Moved In"
	EventShowingCanceled       = "Showing Canceled"
	EventMissedShowing         = "Missed Showing"
	EventPrescreenRejectedCred = "Prescreen Rejected - Credit" // one type per reason, no bare "Prescreen Rejected"
	EventPrescreenRejectedInc  = "Prescreen Rejected - Income"
	EventPrescreenRejectedID   = "Prescreen Rejected - ID Verification"
	EventStillDeciding         = "Still Deciding"
	EventNotInterested         = "Not Interested"
	EventWithdrawn             = "Withdrawn"
	EventBlocklistProspect     = "Blocklist Prospect"
	EventUnitOfInterestUnavail = "Unit of Interest Unavailable"
	EventGhosting              = "Ghosting"
	EventAssignToUser          = "Assign to User"
	EventReassignShowing       = "Reassign Showing"
	EventLogNote               = "Log Note"
	EventUnblockProspect       = "Unblock Prospect"
)

// happyPath is the order a prospect usually moves through; seeded prospects advance along it.
var happyPath = []string{
	EventNew, EventContactedAwaitingInfo, EventShowingDesired, EventShowingScheduled,
	EventShowingComplete, EventApplicationSent, EventApplicationReceived,
	EventApplicationApproved, EventLeaseSigned, EventMovedIn,
}

// sideExits end or stall a prospect's progress.
var sideExits = []string{
	EventShowingCanceled, EventMissedShowing, EventPrescreenRejectedCred, EventStillDeciding,
	EventNotInterested, EventWithdrawn, EventPrescreenRejectedInc, EventUnitOfInterestUnavail,
	EventGhosting, EventPrescreenRejectedID,
}

// Unit statuses (§6.3), with the weights Seed uses: without a statuses filter, /units returns
// an account's whole history, mostly Leased.
var unitStatuses = []weighted{
	{"Leased", 70}, {"Available", 12}, {"On Hold", 4}, {"Archived", 4}, {"Incomplete", 2},
	{"Under Review", 2}, {"Expired", 2}, {"Withdrawn", 2}, {"Withdrawal Requested", 1},
	{"Price Analysis", 1},
}

type weighted struct {
	value  string
	weight int
}

var propertyTypes = []weighted{
	{"SINGLE FAMILY RESIDENCE", 45}, {"CONDO", 15}, {"TOWNHOUSE", 12}, {"DUPLEX", 10},
	{"MULTI-FAMILY", 8}, {"TRIPLEX", 4}, {"ROOM", 3}, {"ADU", 3},
}

var laundryTypes = []string{"In Unit", "Shared", "Coin-op", "Hookups but no machines", "On-site", "None"}

var showingMethods = []string{"Accompanied", "Remote Guided", "Remote Guided with Gated Access", "Self Guided"}

var petsAllowed = []string{"Yes", "No", "Yes with pet fee", "Cats only", "Case by case"}

// Leasing-event sources accepted by POST /leasing_events (§6.2).
var eventSources = []string{"Phone Call", "Text Message", "Email", "Facebook Message", "WhatsApp", "Other", "Automation"}

// Prospect sources as observed live (free-form upstream, including the inconsistent rent.com spellings).
var prospectSources = []weighted{
	{"Zillow", 30}, {"Apartments.com", 12}, {"Realtor.com", 8}, {"RentEngine", 8}, {"Website Widget", 6},
	{"Zumper", 5}, {"Text AI", 5}, {"Rent.com", 3}, {"rent.com", 1}, {"rent", 1}, {"Homes.com", 4},
	{"Hotpads", 4}, {"Phone Call", 4}, {"For Rent Sign", 3}, {"Walk-In", 2}, {"Text Message", 2}, {"Other", 2},
}

// userIDs are the RentEngine users (agents) that events are created by and assigned to.
var userIDs = []string{
	"1259ef6e-61ee-42cb-b6bd-7fe547569d7c", "8a4c3b2e-0f1d-4c6a-9e7b-5d2f1a3c4b6e",
	"c7e91d04-2b3a-4f58-8d6e-0a9b1c2d3e4f", "5b0f6a7c-8d9e-4a1b-b2c3-d4e5f6a7b8c9",
	"e2d4f6a8-1b3c-4d5e-8f70-9a1b2c3d4e5f", "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f",
}

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
	"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
	"Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Luis", "Ashley",
	"Steven", "Kimberly", "Andrew", "Emily", "Kenneth", "Donna", "Joshua", "Michelle", "Kevin", "Carol",
	"Brian", "Amanda", "Jose", "Melissa", "Wei", "Deborah", "Ahmed", "Priya", "Tyrone", "Mei",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Patel",
}

var emailDomains = []string{"gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com"}

// areaCodes are real US area codes; the local part of generated numbers never starts with 0 or 1.
var areaCodes = []string{
	"512", "737", "214", "469", "713", "832", "210", "305", "786", "404",
	"678", "602", "480", "615", "704", "919", "813", "407", "720", "303",
}

var streetNames = []string{
	"Oak St", "Maple Ave", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd", "Lake Dr", "Hillcrest Rd",
	"Sunset Blvd", "Park Ave", "Ridge Rd", "Willow Way", "Meadow Ln", "River Rd", "Main St", "Highland Ave",
	"Forest Dr", "Magnolia St", "Church St", "Spring Creek Pkwy", "Bluebonnet Trl", "Mesquite Dr",
}

type city struct {
	name, state, zipPrefix string
	lat, lng               float64
}

var cities = []city{
	{"Austin", "TX", "787", 30.2672, -97.7431}, {"Dallas", "TX", "752", 32.7767, -96.7970},
	{"Houston", "TX", "770", 29.7604, -95.3698}, {"San Antonio", "TX", "782", 29.4241, -98.4936},
	{"Miami", "FL", "331", 25.7617, -80.1918}, {"Tampa", "FL", "336", 27.9506, -82.4572},
	{"Orlando", "FL", "328", 28.5383, -81.3792}, {"Atlanta", "GA", "303", 33.7490, -84.3880},
	{"Phoenix", "AZ", "850", 33.4484, -112.0740}, {"Mesa", "AZ", "852", 33.4152, -111.8315},
	{"Nashville", "TN", "372", 36.1627, -86.7816}, {"Charlotte", "NC", "282", 35.2271, -80.8431},
	{"Raleigh", "NC", "276", 35.7796, -78.6382}, {"Denver", "CO", "802", 39.7392, -104.9903},
}

var prospectNotes = []string{
	"Interested in a 12 month lease", "Has a small dog", "Asked about parking", "Wants to move in next month",
	"Works from home, needs good internet", "Relocating for work", "Asked whether utilities are included",
	"Prefers a ground floor unit", "Has a housing voucher", "Called twice, no answer",
}

var eventNotes = []string{
	"Left voicemail", "Sent application link", "Confirmed showing time", "Prospect asked to reschedule",
	"Assigning to primary agent", "Follow up next week", "Prospect not responsive", "Sent pricing details",
}
