package sync_test

import "github.com/syncd-dev/syncd/internal/mirrortest"

// Short names for the mirror comparison helpers used throughout this package's tests.
var (
	str  = mirrortest.Str
	num  = mirrortest.Num
	i64  = mirrortest.I64
	ts   = mirrortest.TS
	jstr = mirrortest.JStr
	jnum = mirrortest.JNum
	jint = mirrortest.JInt
)
