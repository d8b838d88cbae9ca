package cfnvalidate

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/journeygate/journeygate/test/repo"
)

// SpecModule is AWS's compilation of the CloudFormation registry schemas
// of every region, which the CDK generates its L1 constructs from (the npm
// package @aws-cdk/aws-service-spec): each type's properties, their types
// and which are required. It keeps no patterns, enums or ranges; those
// come from the registry schemas themselves (SchemasModule).
const SpecModule = "@aws-cdk/aws-service-spec/db.json.gz"

type specDB struct {
	resources map[string]*specResource // by CloudFormation type
	types     map[string]*specTypeDef  // by $id
}

type specResource struct {
	Type       string              `json:"cloudFormationType"`
	Properties map[string]specProp `json:"properties"`
	Attributes map[string]specProp `json:"attributes"`
}

type specTypeDef struct {
	ID         string              `json:"$id"`
	Name       string              `json:"name"`
	Properties map[string]specProp `json:"properties"`
}

type specProp struct {
	Type          specType   `json:"type"`
	PreviousTypes []specType `json:"previousTypes"`
	Required      bool       `json:"required"`
}

type specType struct {
	Type      string     `json:"type"`
	Element   *specType  `json:"element"`
	Types     []specType `json:"types"`
	Reference *struct {
		Ref string `json:"$ref"`
	} `json:"reference"`
}

var spec struct {
	once sync.Once
	db   *specDB
	err  error
}

func loadSpec() (*specDB, error) {
	spec.once.Do(func() {
		spec.db, spec.err = readSpec()
	})
	return spec.db, spec.err
}

func readSpec() (*specDB, error) {
	path, err := repo.NodeModule(SpecModule)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raw struct {
		Schema struct {
			Resource struct {
				Entities []*specResource `json:"entities"`
			} `json:"resource"`
			TypeDefinition struct {
				Entities []*specTypeDef `json:"entities"`
			} `json:"typeDefinition"`
		} `json:"schema"`
	}
	if err := json.NewDecoder(gz).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db := &specDB{resources: map[string]*specResource{}, types: map[string]*specTypeDef{}}
	for _, r := range raw.Schema.Resource.Entities {
		db.resources[r.Type] = r
	}
	for _, t := range raw.Schema.TypeDefinition.Entities {
		db.types[t.ID] = t
	}
	if len(db.resources) == 0 {
		return nil, fmt.Errorf("%s holds no resource types", path)
	}
	return db, nil
}

// jsonSchema returns a draft-07 JSON Schema of a resource type's
// Properties: exactly its properties, the required ones required, each of
// its type (or of a type it had before, which CloudFormation still takes).
func (db *specDB) jsonSchema(typ string) (map[string]any, bool) {
	r, ok := db.resources[typ]
	if !ok {
		return nil, false
	}
	defs := map[string]any{}
	root := db.object(r.Properties, defs)
	root["definitions"] = defs
	return root, true
}

func (db *specDB) object(props map[string]specProp, defs map[string]any) map[string]any {
	properties := map[string]any{}
	var required []any
	for name, p := range props {
		s := db.typeSchema(p.Type, defs)
		if len(p.PreviousTypes) > 0 {
			alts := []any{s}
			for _, t := range p.PreviousTypes {
				alts = append(alts, db.typeSchema(t, defs))
			}
			s = map[string]any{"anyOf": alts}
		}
		properties[name] = s
		if p.Required {
			required = append(required, name)
		}
	}
	out := map[string]any{"type": "object", "properties": properties, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (db *specDB) typeSchema(t specType, defs map[string]any) map[string]any {
	switch t.Type {
	case "string", "date-time":
		return map[string]any{"type": "string"}
	case "integer", "number", "boolean", "null":
		return map[string]any{"type": t.Type}
	case "json":
		// CloudFormation's Json: an object, or text of one.
		return map[string]any{}
	case "tag":
		return map[string]any{"type": "object", "additionalProperties": false, "required": []any{"Key", "Value"},
			"properties": map[string]any{"Key": map[string]any{"type": "string"}, "Value": map[string]any{"type": "string"}}}
	case "array":
		if t.Element != nil {
			return map[string]any{"type": "array", "items": db.typeSchema(*t.Element, defs)}
		}
	case "map":
		if t.Element != nil {
			return map[string]any{"type": "object", "additionalProperties": db.typeSchema(*t.Element, defs)}
		}
	case "union":
		var alts []any
		for _, u := range t.Types {
			alts = append(alts, db.typeSchema(u, defs))
		}
		return map[string]any{"anyOf": alts}
	case "ref":
		if t.Reference != nil {
			if td, ok := db.types[t.Reference.Ref]; ok {
				key := td.Name + "_" + td.ID
				if _, done := defs[key]; !done {
					defs[key] = true // placeholder against recursion
					defs[key] = db.object(td.Properties, defs)
				}
				return map[string]any{"$ref": "#/definitions/" + key}
			}
		}
	}
	// A kind this code does not know constrains nothing rather than
	// failing every template that uses it.
	return map[string]any{}
}
