// jest's 5 s default is for an idle machine. The unit and integration layers also run beside the tests in
// real n8n (npm test runs its two n8n passes meanwhile) and on shared CI machines, where a test that
// takes 1 s alone can take 20 s: a test gets a minute by default, and tests that do more set their own.
jest.setTimeout(60_000);
