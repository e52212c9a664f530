package mirror

import (
	"encoding/json"
	"fmt"

	"github.com/syncd-dev/syncd/internal/clients/rentengine"
	"github.com/syncd-dev/syncd/internal/models"
)

// RentEngineRow decodes one raw record of a RentEngine resource into the mirror row a pull
// writes for it, Raw and ContentHash included; the writer sets the tenant and the system
// timestamps. It returns a *models.RentEngineUnit, *models.RentEngineProspect or
// *models.RentEngineLeasingEvent. The benchmarks' write-floor reference uses it so that the rows it
// copies are exactly the rows a pull stores.
func RentEngineRow(res rentengine.Resource, raw json.RawMessage) (any, error) {
	var (
		row any
		sys *models.System
	)
	switch res {
	case rentengine.Units:
		r, err := RentEngineUnit(raw)
		if err != nil {
			return nil, err
		}
		row, sys = &r, &r.System
	case rentengine.Prospects:
		r, err := RentEngineProspect(raw)
		if err != nil {
			return nil, err
		}
		row, sys = &r, &r.System
	case rentengine.LeasingEvents:
		r, err := RentEngineLeasingEvent(raw)
		if err != nil {
			return nil, err
		}
		row, sys = &r, &r.System
	default:
		return nil, fmt.Errorf("unknown RentEngine resource %q", res)
	}
	SetRaw(sys, raw)
	return row, nil
}

// SetRaw records on a mirror row the record it was built from: Raw, the record as the upstream
// sent it, and ContentHash, which tells a changed record from an unchanged one when the row is
// written. The pull, a webhook change and RentEngineRow all set both through it, so a row carries
// the same hash whichever path wrote it. (Small enough to be inlined: the pull calls it per
// record.)
func SetRaw(sys *models.System, raw json.RawMessage) {
	sys.Raw = models.JSON(raw)
	sys.ContentHash = models.HashRaw(raw)
}
