// A page on Better Auth's React client (better-auth/react): useSession plus sign-up, sign-in,
// update-user and sign-out, with data-testid attributes for the browser test.
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { createAuthClient } from 'better-auth/react';

export const authClient = createAuthClient({ baseURL: window.location.origin });
window.authClient = authClient;

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** "ok" when the client parsed the session's dates into sane Date objects, else what is wrong. */
function checkDates(session, user) {
  const now = Date.now();
  const problems = [];
  for (const [what, v] of [['session.createdAt', session.createdAt], ['session.expiresAt', session.expiresAt],
    ['user.createdAt', user.createdAt], ['user.updatedAt', user.updatedAt]]) {
    if (!(v instanceof Date) || Number.isNaN(v.getTime())) problems.push(`${what} is not a Date: ${String(v)}`);
  }
  if (problems.length) return problems.join('; ');
  if (Math.abs(user.createdAt.getTime() - now) > 5 * 60_000) problems.push(`user.createdAt ${user.createdAt.toISOString()} is far from now`);
  if (Math.abs(session.expiresAt.getTime() - session.createdAt.getTime() - WEEK_MS) > 2_000) problems.push('session.expiresAt is not createdAt + 7 days');
  return problems.length ? problems.join('; ') : 'ok';
}

function App() {
  const { data, isPending, error: sessionError } = authClient.useSession();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [newName, setNewName] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [sessions, setSessions] = useState(null);

  async function run(fn) {
    setBusy(true);
    setError('');
    try {
      const { error: e } = await fn();
      if (e) setError(e.message ?? `HTTP ${e.status}`);
    } catch (e) {
      setError(`threw: ${e.message}`);
    } finally {
      setBusy(false);
    }
  }

  const status = isPending ? 'loading' : data ? 'signed-in' : 'signed-out';
  return (
    <main>
      <h1>Better Auth React client → Go</h1>
      <p>Session: <strong data-testid="status">{status}</strong> {busy && <em data-testid="busy">working…</em>}</p>
      {sessionError && <p className="error" data-testid="session-error">{sessionError.message}</p>}
      {data && (
        <fieldset>
          <legend>Signed in</legend>
          <p>Name: <strong data-testid="user-name">{data.user.name}</strong></p>
          <p>Email: <span data-testid="user-email">{data.user.email}</span></p>
          <p>Session expires: <code>{data.session.expiresAt instanceof Date ? data.session.expiresAt.toISOString() : String(data.session.expiresAt)}</code></p>
          <p>Dates: <span data-testid="dates">{checkDates(data.session, data.user)}</span></p>
          <input data-testid="new-name" placeholder="new name" value={newName} onChange={(e) => setNewName(e.target.value)} />
          <button data-testid="update-user" onClick={() => run(() => authClient.updateUser({ name: newName }))}>Rename</button>
          <button data-testid="list-sessions" onClick={() => run(async () => {
            setSessions(null);
            const r = await authClient.listSessions();
            if (r.data) setSessions({ count: r.data.length, current: r.data.some((s) => s.id === data.session.id) });
            return r;
          })}>List sessions</button>
          <button data-testid="sign-out" onClick={() => run(() => authClient.signOut())}>Sign out</button>
          {sessions && <p data-testid="sessions">{sessions.count} session(s), current listed: {sessions.current ? 'yes' : 'no'}</p>}
        </fieldset>
      )}
      {!data && !isPending && (
        <fieldset>
          <legend>Signed out</legend>
          <input data-testid="name" placeholder="name" value={name} onChange={(e) => setName(e.target.value)} />
          <input data-testid="email" placeholder="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          <input data-testid="password" type="password" placeholder="password" value={password} onChange={(e) => setPassword(e.target.value)} />
          <br />
          <button data-testid="sign-up" onClick={() => run(() => authClient.signUp.email({ name, email, password }))}>Sign up</button>
          <button data-testid="sign-in" onClick={() => run(() => authClient.signIn.email({ email, password }))}>Sign in</button>
        </fieldset>
      )}
      {error && <p className="error" data-testid="error">{error}</p>}
    </main>
  );
}

createRoot(document.getElementById('root')).render(<StrictMode><App /></StrictMode>);
