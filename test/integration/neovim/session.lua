-- A whole Earshot file session from Neovim's built-in LSP client, configured as a Neovim user would (no Earshot
-- options): initialize, earshot/session/start on a WAV file, the transcript notifications, stop, shutdown, exit.
-- Paths come from the environment; every event is written as a JSON line to EARSHOT_NVIM_OUT.
local out = assert(io.open(os.getenv('EARSHOT_NVIM_OUT'), 'w'))
local function record(kind, data)
  out:write(vim.fn.json_encode({ kind = kind, data = data }) .. '\n')
  out:flush()
end

local done, exited, exit_status = false, false, nil
local client_id = vim.lsp.start_client({
  name = 'earshot',
  cmd = { os.getenv('EARSHOT_NODE'), os.getenv('EARSHOT_BIN'), 'daemon' },
  cmd_cwd = os.getenv('EARSHOT_NVIM_CWD'),
  root_dir = os.getenv('EARSHOT_NVIM_CWD'),
  handlers = {
    ['earshot/transcript'] = function(_, segment) record('transcript', segment) end,
    ['earshot/transcript/relabel'] = function(_, relabel) record('relabel', relabel) end,
    ['earshot/sessionState'] = function(_, state)
      record('state', state)
      if state.state == 'done' then done = true end
    end,
  },
  on_init = function(_, result) record('initialized', result.serverInfo or vim.NIL) end,
  -- Runs in a libuv callback, where Vimscript functions (json_encode) may not be called: recorded after the wait.
  on_exit = function(code, signal)
    exit_status = { code = code, signal = signal }
    exited = true
  end,
})
local client = vim.lsp.get_client_by_id(client_id)
assert(vim.wait(20000, function() return client.initialized end, 50), 'initialize was not answered')

client.request('earshot/session/start', { sources = { 'file' }, audioFile = os.getenv('EARSHOT_AUDIO') }, function(err, result)
  record('started', err and { error = err.message } or result)
end)
assert(vim.wait(60000, function() return done end, 50), 'the session never reached done')

-- What a user runs to stop: status with no params (Neovim sends none), then the client's stop (shutdown, exit).
client.request('earshot/session/status', nil, function(err, result) record('status', err and { error = err.message } or result) end)
vim.wait(5000, function() return false end, 200)
client.stop()
assert(vim.wait(20000, function() return exited end, 50), 'the daemon did not exit after shutdown and exit')
record('exit', exit_status)
out:close()
vim.cmd('qall!')
