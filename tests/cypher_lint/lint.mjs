// Lint Cypher statements with Neo4j's own front end (@neo4j-cypher/language-support).
// stdin:  JSON [{"name": str, "query": str, "params": {name: example value}}]
// stdout: JSON [{"name": str, "diagnostics": [{"severity": int, "message": str, "line": int}]}]
// Parameters are declared per statement: with none declared, every $param is "undefined".
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const statements = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// Every label ownergraph writes (OwnergraphProbe: `store check`'s probe, removed again).
const schema = {
  labels: ['Entity', 'Result', 'Judgement', 'Candidate', 'OwnergraphProbe'],
  relationshipTypes: ['OWNS', 'CONTROLS', 'HAS_RESULT'],
};

const report = statements.map(({ name, query, params }) => {
  const { diagnostics } = lintCypherQuery(query, { ...schema, parameters: params ?? {} });
  return {
    name,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      line: d.range?.start?.line ?? 0,
    })),
  };
});
process.stdout.write(JSON.stringify(report));
