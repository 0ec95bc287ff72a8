import { test } from 'uvu';
import { planMigration } from '../../src/declare/plan-migration.js';
import { baseModel, mutate, renderModel, standingHints } from '../helpers/declare-model.js';
import { declareDatabases, proveBothWays, snapshotSql, type DeclareDatabases } from '../helpers/declare-proof.js';
import { random } from '../helpers/random.js';

// Property-style: pairs of schemas made by random edits of a rich base schema (the current one
// from the base, the declared one from the current, renames with their hints); for every pair,
// the generated up.sql and down.sql prove both ways. Seeded: DECLARE_SEEDS=a,b,c replays pairs,
// DECLARE_PAIRS=n runs n pairs from a seed of the clock.
let dbs: DeclareDatabases | undefined;
test.before(async () => {
  dbs = await declareDatabases('declare_property');
});
test.after(async () => {
  await dbs?.drop();
});

const seeds = process.env.DECLARE_SEEDS
  ? process.env.DECLARE_SEEDS.split(',').map(Number)
  : process.env.DECLARE_PAIRS
    ? Array.from({ length: Number(process.env.DECLARE_PAIRS) }, (_, k) => (Date.now() + k * 7919) % 2_147_483_647)
    : Array.from({ length: 16 }, (_, k) => 1000 + k);

for (const seed of seeds) {
  test(`pair from seed ${seed} proves both ways`, async () => {
    if (!dbs) return;
    const rand = random(seed);
    const model = baseModel();
    mutate(model, 1 + Math.floor(rand() * 4), rand);
    const currentModel = structuredClone(model);
    const hints = mutate(model, 1 + Math.floor(rand() * 6), rand);
    const [currentSql, desiredSql] = [renderModel(currentModel), renderModel(model)];
    try {
      const desired = await snapshotSql(dbs.target, desiredSql);
      const current = await snapshotSql(dbs.work, currentSql);
      const renames = standingHints(hints, currentModel, model);
      const plan = planMigration(current, desired, { renames });
      if (!plan.ok) throw new Error(`refused: ${JSON.stringify(plan.refused, null, 1)}`);
      await proveBothWays(dbs, current, desired, plan);
    } catch (error) {
      (error as Error).message = `seed ${seed} (replay: DECLARE_SEEDS=${seed})\n--- current\n${currentSql}\n--- declared\n${desiredSql}\n--- renames ${JSON.stringify(hints)}\n${(error as Error).message}`;
      throw error;
    }
  });
}

test.run();
