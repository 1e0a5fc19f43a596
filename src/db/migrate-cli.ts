import { loadConfigOrExit } from '../config';
import { migrate } from './migrate';

const config = loadConfigOrExit();
migrate(config.databaseUrl, (m) => console.log(m))
  .then((applied) => console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'schema up to date'))
  .catch((err) => {
    console.error(`migration failed: ${err.message}`);
    process.exit(1);
  });
