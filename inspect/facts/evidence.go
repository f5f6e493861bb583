package facts

// Evidence is where a fact came from: the file an operator can cat, and the
// raw text it held (trimmed, and for long files only the line that mattered).
type Evidence struct {
	File string `json:"file"`
	Raw  string `json:"raw,omitempty"`
}

// Sources maps a JSON field name of a fact ("limitBytes") to its evidence.
type Sources map[string]Evidence

// Add records the evidence of field, making the map on first use.
func (s *Sources) Add(field, file, raw string) {
	if *s == nil {
		*s = Sources{}
	}
	(*s)[field] = Evidence{File: file, Raw: raw}
}

// SectionError records why one section of a report could not be read.
type SectionError struct {
	Section string `json:"section"`
	Err     string `json:"error"`
}

func (e SectionError) Error() string { return e.Section + ": " + e.Err }
